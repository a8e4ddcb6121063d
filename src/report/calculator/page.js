// prognosis clinician calculator. The arithmetic repeats prognosis's Rust code operation by
// operation (cohort::encode_patient, CoxFit::patient_curve, PatientCurve::at and ::median,
// Nomogram::score, ModelFile::range_warnings and ::horizon_warnings), so that the numbers equal
// `prognosis score --json`. On the page of a competing-risks model file (M.model set) it repeats
// stats::competing::predict_from_terms (Fine-Gray) or CauseHazards::absolute_risk
// (cause-specific) and cli::competing_model's warnings instead. No request of any kind is made.
(function () {
  'use strict';
  var M = JSON.parse(document.getElementById('model-data').textContent);
  var TOL = Math.sqrt(2.220446049250313e-16);
  // a competing-risks page: 'fine-gray' or 'cause-specific'
  var CR = M.model || null;

  // ---- numbers as prognosis reads and writes them

  // Rust's f64 parser restricted to finite values (data::parse_number)
  function parseNumber(s) {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
    var v = Number(s);
    return isFinite(v) ? v : null;
  }

  // Rust's Display of an f64: shortest round-trip digits, never an exponent
  function displayNumber(v) {
    if (v !== v) return 'NaN';
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    var neg = v < 0 || (v === 0 && 1 / v < 0);
    var a = Math.abs(v);
    if (a === 0) return neg ? '-0' : '0';
    var parts = a.toExponential().split('e');
    var exp = parseInt(parts[1], 10);
    var digits = parts[0].replace('.', '');
    var out;
    if (exp >= 0) {
      if (digits.length <= exp + 1) out = digits + new Array(exp + 2 - digits.length).join('0');
      else out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
    } else {
      out = '0.' + new Array(-exp).join('0') + digits;
    }
    return (neg ? '-' : '') + out;
  }

  // data::format_number: whole numbers without a decimal point
  function formatNumber(v) {
    if (v === Math.trunc(v) && Math.abs(v) < 1e15) return displayNumber(v === 0 ? 0 : v);
    return displayNumber(v);
  }

  function matchLevel(levels, label) {
    if (levels.indexOf(label) >= 0) return label;
    var v = parseNumber(label);
    if (v === null) return null;
    for (var i = 0; i < levels.length; i++) if (parseNumber(levels[i]) === v) return levels[i];
    return null;
  }

  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }

  function knownNames() {
    var k = M.covariates.map(function (c) { return c.name; });
    if (M.strata) k.push(M.strata.column);
    return k;
  }

  // cohort::encode_patient, with its messages
  function encodePatient(values) {
    var x = [], chosen = [];
    M.covariates.forEach(function (c) {
      var expected = c.kind === 'numeric' ? 'a number' : 'one of: ' + c.levels.join(', ');
      if (!has(values, c.name)) {
        throw new Error("covariate '" + c.name + "' is not set: add --set " + c.name +
          '=VALUE (' + expected + ')');
      }
      var v = values[c.name];
      var bad = "covariate '" + c.name + "' = '" + v + "' is not valid: expected " + expected;
      if (c.kind === 'numeric') {
        var n = parseNumber(v);
        if (n === null) throw new Error(bad);
        x.push(n);
        chosen.push(n);
      } else {
        var l = matchLevel(c.levels, v);
        if (l === null) throw new Error(bad);
        c.levels.forEach(function (o) { if (o !== c.reference) x.push(o === l ? 1 : 0); });
        chosen.push(l);
      }
    });
    var stratum = 0;
    if (M.strata) {
      var s = M.strata;
      if (!has(values, s.column)) {
        throw new Error("stratum '" + s.column + "' is not set: add --set " + s.column +
          '=VALUE (one of: ' + s.levels.join(', ') + ')');
      }
      var l = matchLevel(s.levels, values[s.column]);
      if (l === null) {
        throw new Error("stratum '" + s.column + "' = '" + values[s.column] +
          "' is not valid: expected one of: " + s.levels.join(', '));
      }
      stratum = s.levels.indexOf(l);
    }
    var known = knownNames();
    var keys = Object.keys(values).sort(byteOrder);
    for (var i = 0; i < keys.length; i++) {
      if (known.indexOf(keys[i]) < 0) {
        throw new Error("'" + keys[i] + "' is not a covariate of this model; the covariates are: " +
          known.join(', '));
      }
    }
    return { x: x, stratum: stratum, chosen: chosen };
  }

  function byteOrder(a, b) {
    var ea = unescape(encodeURIComponent(a)), eb = unescape(encodeURIComponent(b));
    return ea < eb ? -1 : ea > eb ? 1 : 0;
  }

  // PatientCurve
  function patientCurve(x, stratum) {
    var p = M.coef.length, i, j, k;
    var zc = [];
    for (i = 0; i < p; i++) zc.push(x[i] - M.means[i]);
    var lp = 0;
    for (i = 0; i < p; i++) lp += (x[i] - M.means[i]) * M.coef[i];
    var risk = Math.exp(lp);
    var b = M.baseline[stratum];
    var surv = [], se = [], dvec = new Array(p);
    for (k = 0; k < b.time.length; k++) {
      var h0 = b.cumhaz[k];
      surv.push(Math.exp(-h0 * risk));
      var cx = b.cumxbar[k];
      for (i = 0; i < p; i++) dvec[i] = h0 * zc[i] - cx[i];
      var q = 0;
      for (i = 0; i < p; i++) {
        var row = M['var'][i], inner = 0;
        for (j = 0; j < p; j++) inner += row[j] * dvec[j];
        q += dvec[i] * inner;
      }
      var t = b.cumvar[k] + q;
      se.push(Math.sqrt(t >= 0 ? t : 0) * risk);
    }
    return { lp: lp, time: b.time, surv: surv, se: se };
  }

  function logLimits(s, seh) {
    if (s <= 0) return [0, 0];
    var ls = Math.log(s);
    var lower = Math.exp(ls - M.z * seh);
    var upper = Math.exp(ls + M.z * seh);
    return [lower, upper < 1 ? upper : 1];
  }

  // number of times <= t
  function countAtOrBefore(times, t) {
    var lo = 0, hi = times.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (times[mid] <= t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function curveAt(c, t) {
    var k = countAtOrBefore(c.time, t);
    if (k === 0) return { time: t, surv: 1, se: 0, lower: 1, upper: 1 };
    var s = c.surv[k - 1], seh = c.se[k - 1];
    var lim = logLimits(s, seh);
    return { time: t, surv: s, se: s * seh, lower: lim[0], upper: lim[1] };
  }

  function medianOfCurve(times, values) {
    var keep = [];
    for (var i = 0; i < values.length; i++) {
      if (values[i] === values[i] && values[i] < 0.5 + TOL) keep.push(i);
    }
    if (!keep.length) return null;
    var first = keep[0], y1 = values[first];
    if (Math.abs(y1 - 0.5) < TOL) {
      for (var j = 0; j < keep.length; j++) {
        if (values[keep[j]] < y1) return (times[first] + times[keep[j]]) / 2;
      }
    }
    return times[first];
  }

  function curveMedian(c) {
    var lows = [], ups = [];
    for (var i = 0; i < c.time.length; i++) {
      var l = logLimits(c.surv[i], c.se[i]);
      lows.push(l[0]);
      ups.push(l[1]);
    }
    return {
      median: medianOfCurve(c.time, c.surv),
      lower: medianOfCurve(c.time, lows),
      upper: medianOfCurve(c.time, ups)
    };
  }

  function nomogramPoints(enc) {
    var N = M.nomogram;
    if (!N) return null;
    var factors = [], total = 0;
    M.covariates.forEach(function (c, j) {
      var v = enc.chosen[j], label, contribution;
      if (c.kind === 'numeric') {
        label = formatNumber(v);
        contribution = c.beta * v;
      } else {
        label = v;
        contribution = c.betas[c.levels.indexOf(v)];
      }
      var points = (contribution - N.min_contribution[j]) * N.scale;
      total += points;
      factors.push({ name: c.name, value: label, points: points });
    });
    return { factors: factors, total: total };
  }

  function rangeWarnings(values) {
    var out = [];
    M.ranges.forEach(function (r) {
      if (!has(values, r.name)) return;
      var v = parseNumber(values[r.name]);
      if (v === null) return;
      if (v < r.min || v > r.max) out.push(rangeWarning(r.name, v, r));
    });
    return out;
  }

  function rangeWarning(name, v, r) {
    return name + ' = ' + displayNumber(v) + ' is outside the training range ' +
      formatNumber(r.min) + ' to ' + formatNumber(r.max) + ': the prediction extrapolates';
  }

  function horizonWarnings(stratum, times) {
    var b = M.baseline[stratum];
    if (!b.time.length) return [];
    var last = b.time[b.time.length - 1], unit = M.time_unit || '';
    return times.filter(function (t) { return t > last; }).map(function (t) {
      return ('time ' + formatNumber(t) + ' is after the last event time in the training data (' +
        formatNumber(last) + ' ' + unit + '): the predicted survival there is carried forward ' +
        'from that time').split(' )').join(')');
    });
  }

  // ---- competing risks

  // stats::competing::predict_from_terms: what does not depend on the time
  function fineGrayPrep(x) {
    var F = M.fine_gray, p = F.coef.length, xc = [], lpc = 0, lp = 0, j;
    for (j = 0; j < p; j++) xc.push(x[j] - F.center[j]);
    for (j = 0; j < p; j++) lpc += xc[j] * F.coef[j];
    for (j = 0; j < p; j++) lp += x[j] * F.coef[j];
    return { xc: xc, lpc: lpc, lp: lp };
  }

  // ... and at event time index k (the last event time <= t): Var log Lambda(t; x) =
  // a_k + 2 g'c_k + g' var g, g = (x - center) - m_k; limits on log(-log(1 - F))
  function fineGrayAt(P, k, t) {
    var F = M.fine_gray, p = F.coef.length, j, l;
    if (k < 0) return { time: t, cif: 0, se: 0, lower: 0, upper: 0 };
    var g = [];
    for (j = 0; j < p; j++) g.push(P.xc[j] - F.var_m[k][j]);
    var v = F.var_a[k];
    for (j = 0; j < p; j++) {
      v += 2 * g[j] * F.var_c[k][j];
      var row = F['var'][j];
      for (l = 0; l < p; l++) v += g[j] * row[l] * g[l];
    }
    var seLog = Math.sqrt(v >= 0 ? v : 0);
    var lam = Math.exp(P.lpc) * F.cumhaz[k];
    var cif = 1 - Math.exp(-lam);
    return {
      time: t,
      cif: cif,
      se: (1 - cif) * lam * seLog,
      lower: 1 - Math.exp(-lam * Math.exp(-M.z * seLog)),
      upper: 1 - Math.exp(-lam * Math.exp(M.z * seLog))
    };
  }

  // CauseHazards::curves and ::absolute_risk of the cause of interest (the first cause): the
  // cumulative incidence at each grid time
  function causeSpecificCurve(x) {
    var C = M.cause_specific, p = C.center.length, m = C.time.length, j, k, g;
    var dl = C.causes.map(function (c) {
      var s = 0;
      for (j = 0; j < p; j++) s += (x[j] - C.center[j]) * c.coef[j];
      var r = Math.exp(s);
      // a time without an event of the cause stays 0, also where r overflows
      return c.jumps.map(function (v) { return v === 0 ? 0 : v * r; });
    });
    // increments of a time that sum to more than 1 are scaled to sum to 1 (S drops to 0)
    var sb = [], s = 1;
    for (g = 0; g < m; g++) {
      sb.push(s);
      var all = 0;
      for (k = 0; k < dl.length; k++) all += dl[k][g];
      var infinite = 0;
      for (k = 0; k < dl.length; k++) if (dl[k][g] === Infinity) infinite++;
      if (infinite > 0) {
        // exp of the linear predictor overflowed: the infinite hazards share everything
        for (k = 0; k < dl.length; k++) dl[k][g] = dl[k][g] === Infinity ? 1 / infinite : 0;
        s = 0;
      } else if (all > 1) {
        for (k = 0; k < dl.length; k++) dl[k][g] /= all;
        s = 0;
      } else {
        s *= 1 - all;
      }
    }
    var cum = [], acc = 0;
    for (g = 0; g < m; g++) {
      acc += sb[g] * dl[0][g];
      cum.push(acc);
    }
    var lp = 0, b = C.causes[0].coef;
    for (j = 0; j < p; j++) lp += x[j] * b[j];
    return { time: C.time, cif: cum, lp: lp };
  }

  // the cumulative incidence at `times`, as CompetingModelFile::predict without training data
  function incidence(x, times) {
    if (CR === 'fine-gray') {
      var P = fineGrayPrep(x), T = M.fine_gray.time;
      return { lp: P.lp, points: times.map(function (t) {
        return fineGrayAt(P, countAtOrBefore(T, t) - 1, t);
      }) };
    }
    var c = causeSpecificCurve(x);
    return { lp: c.lp, points: times.map(function (t) {
      var k = countAtOrBefore(c.time, t);
      return { time: t, cif: k === 0 ? 0 : c.cif[k - 1], se: null, lower: null, upper: null };
    }) };
  }

  // cli::competing_model::horizon_warnings
  function competingHorizonWarnings(times) {
    var unit = M.time_unit || '';
    return times.filter(function (t) { return t > M.last_event; }).map(function (t) {
      return ('time ' + formatNumber(t) + ' is after the last event of the cause in the training ' +
        'data (' + formatNumber(M.last_event) + ' ' + unit + '): the cumulative incidence there ' +
        'is carried forward from that time').split(' )').join(')');
    });
  }

  // the object `prognosis score --json` prints for a competing-risks model (with a Fine-Gray
  // model's nomogram points; null for a cause-specific model)
  function predictCompeting(values, times) {
    var enc = encodePatient(values);
    var inc = incidence(enc.x, times);
    var covs = {};
    Object.keys(values).sort(byteOrder).forEach(function (k) { covs[k] = values[k]; });
    var points = nomogramPoints(enc);
    return {
      model: CR,
      cause: M.cause,
      covariates: covs,
      lp: inc.lp,
      incidence: inc.points,
      time_unit: M.time_unit === undefined ? null : M.time_unit,
      warnings: rangeWarnings(values).concat(competingHorizonWarnings(times)),
      points: points,
      total_points: points ? points.total : null
    };
  }

  // the object `prognosis score --json` prints
  function predict(input, times) {
    var values = {};
    Object.keys(input || {}).forEach(function (k) {
      var v = input[k];
      values[String(k).trim()] = (v === null || v === undefined) ? '' : String(v).trim();
    });
    times = times || M.times;
    times.forEach(function (t) {
      if (typeof t !== 'number' || !isFinite(t) || t < 0) {
        throw new Error('--times: ' + t + ' is not a time >= 0');
      }
    });
    if (CR) return predictCompeting(values, times);
    var enc = encodePatient(values);
    var curve = patientCurve(enc.x, enc.stratum);
    var covs = {};
    Object.keys(values).sort(byteOrder).forEach(function (k) { covs[k] = values[k]; });
    var warnings = rangeWarnings(values).concat(horizonWarnings(enc.stratum, times));
    var median = curveMedian(curve);
    var points = nomogramPoints(enc);
    return {
      covariates: covs,
      lp: curve.lp,
      survival: times.map(function (t) { return curveAt(curve, t); }),
      median: median,
      time_unit: M.time_unit === undefined ? null : M.time_unit,
      points: points,
      total_points: points ? points.total : null,
      median_lower: median.lower,
      median_upper: median.upper,
      warnings: warnings
    };
  }

  function riskGroup(result) {
    var rg = M.risk_groups;
    if (!rg) return null;
    var s = rg.on === 'lp' ? result.lp : (result.points ? result.points.total : null);
    if (s === null) return null;
    var k = 0;
    while (k < rg.cutoffs.length && rg.cutoffs[k] < s) k++;
    return { index: k, label: rg.labels[k] || ('group ' + (k + 1)), score: s };
  }

  window.prognosis = {
    predict: predict,
    riskGroup: function (values) { return riskGroup(predict(values)); },
    times: M.times.slice(),
    version: M.version,
    checksum: M.checksum
  };

  // ---- the page

  var $ = function (id) { return document.getElementById(id); };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var unit = M.time_unit || '';
  var perYear = (function () {
    var u = unit.toLowerCase().replace(/s$/, '');
    return { day: 365.25, week: 365.25 / 7, month: 12, year: 1 }[u] || null;
  })();
  function singular(u) { return u.replace(/s$/, ''); }
  function timeWords(t) {
    var s = formatNumber(t) + ' ' + (t === 1 ? singular(unit) : unit);
    if (perYear && perYear !== 1) {
      var y = t / perYear, r = Math.round(y * 2) / 2;
      if (r > 0 && Math.abs(y - r) < 0.01 * Math.max(1, r)) {
        s += ' (' + formatNumber(r) + (r === 1 ? ' year' : ' years') + ')';
      }
    }
    return s.trim();
  }
  function pct(v) { return (100 * v).toFixed(1) + '%'; }

  var fields = [];  // {name, label, kind, widget, options, min, max, step, default, stratum}
  M.covariates.forEach(function (c) { fields.push(c); });
  if (M.strata) {
    fields.push({ name: M.strata.column, label: M.strata.label, kind: 'stratum',
      widget: M.strata.levels.length <= 8 ? 'radio' : 'select', options: M.strata.options,
      default: M.strata.levels[0] });
  }
  var state = {};
  var extra = {};  // names from the address that are not inputs of the model

  function fieldId(f) { return 'in-' + f.name.replace(/[^A-Za-z0-9_-]/g, '_'); }

  function buildForm() {
    var host = $('fields');
    fields.forEach(function (f, idx) {
      var id = fieldId(f) + '-' + idx;
      f.id = id;
      var box;
      if (f.widget === 'radio') {
        box = el('fieldset', { 'class': 'field', id: 'f-' + id, 'data-name': f.name });
        box.appendChild(el('legend', null, f.label));
        var opts = el('div', { 'class': 'options' });
        f.options.forEach(function (o, k) {
          var lab = el('label', { 'class': 'opt' });
          var inp = el('input', { type: 'radio', name: id, value: o.value, id: id + '-' + k,
            'data-name': f.name });
          inp.addEventListener('change', function () {
            if (inp.checked) { setValue(f.name, o.value); }
          });
          lab.appendChild(inp);
          lab.appendChild(el('span', null, o.label));
          opts.appendChild(lab);
        });
        box.appendChild(opts);
      } else if (f.widget === 'select') {
        box = el('div', { 'class': 'field', id: 'f-' + id, 'data-name': f.name });
        box.appendChild(el('label', { 'for': id }, f.label));
        var sel = el('select', { id: id, 'data-name': f.name });
        f.options.forEach(function (o) { sel.appendChild(el('option', { value: o.value }, o.label)); });
        sel.addEventListener('change', function () { setValue(f.name, sel.value); });
        box.appendChild(sel);
      } else {
        box = el('div', { 'class': 'field', id: 'f-' + id, 'data-name': f.name });
        box.appendChild(el('label', { 'for': id }, f.label));
        var row = el('div', { 'class': 'numrow' });
        var num = el('input', { type: 'text', inputmode: 'decimal', id: id, 'data-name': f.name,
          spellcheck: 'false', 'aria-describedby': 'h-' + id + ' w-' + id });
        row.appendChild(num);
        if (f.min !== null && f.max !== null && f.max > f.min) {
          var rng = el('input', { type: 'range', id: 'r-' + id, min: String(f.min),
            max: String(f.max), step: String(f.step), 'aria-label': f.label + ' (slider)',
            'class': 'slider' });
          rng.addEventListener('input', function () {
            num.value = rng.value;
            setValue(f.name, rng.value);
          });
          row.appendChild(rng);
        }
        num.addEventListener('input', function () { setValue(f.name, num.value); });
        box.appendChild(row);
        if (f.min !== null && f.max !== null) {
          box.appendChild(el('p', { 'class': 'hint', id: 'h-' + id },
            'Training range ' + formatNumber(f.min) + ' to ' + formatNumber(f.max)));
        }
      }
      box.appendChild(el('p', { 'class': 'warn', id: 'w-' + id, hidden: '' }));
      host.appendChild(box);
    });
  }

  // shows state in the form
  function fillForm() {
    fields.forEach(function (f) {
      var v = has(state, f.name) ? state[f.name] : '';
      if (f.widget === 'radio') {
        var hit = f.options.filter(function (o) { return o.value === v; })[0];
        if (!hit) {
          var pv = parseNumber(v);
          hit = f.options.filter(function (o) {
            return pv !== null && parseNumber(o.value) === pv;
          })[0];
        }
        document.querySelectorAll('input[data-name="' + cssEsc(f.name) + '"]').forEach(
          function (r) { r.checked = !!hit && r.value === hit.value; });
      } else if (f.widget === 'select') {
        $(f.id).value = v;
      } else {
        var num = $(f.id);
        if (num.value !== v) num.value = v;
        var rng = $('r-' + f.id);
        var pv2 = parseNumber(v);
        if (rng && pv2 !== null) rng.value = String(Math.min(Math.max(pv2, f.min), f.max));
      }
    });
  }

  function cssEsc(s) { return s.replace(/["\\]/g, '\\$&'); }

  function defaults() {
    var s = {};
    fields.forEach(function (f) { s[f.name] = f['default']; });
    return s;
  }

  function readHash() {
    var h = location.hash.replace(/^#/, '');
    var s = defaults();
    extra = {};
    if (!h) return s;
    h.split('&').forEach(function (pair) {
      if (!pair) return;
      var i = pair.indexOf('=');
      var k = i < 0 ? pair : pair.slice(0, i), v = i < 0 ? '' : pair.slice(i + 1);
      try { k = decodeURIComponent(k.replace(/\+/g, ' ')); v = decodeURIComponent(v.replace(/\+/g, ' ')); }
      catch (e) { /* keep the raw text */ }
      k = k.trim();
      s[k] = v.trim();
      if (knownNames().indexOf(k) < 0) extra[k] = true;
    });
    return s;
  }

  function writeHash() {
    var parts = [];
    fields.forEach(function (f) {
      if (has(state, f.name)) parts.push(encodeURIComponent(f.name) + '=' + encodeURIComponent(state[f.name]));
    });
    Object.keys(extra).forEach(function (k) {
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(state[k]));
    });
    var h = '#' + parts.join('&');
    if (location.hash === h) return;
    try { history.replaceState(null, '', h); } catch (e) { ignoreHash = true; location.hash = h; }
  }
  var ignoreHash = false;

  function setValue(name, v) {
    state[name] = v;
    // a change in the form drops names the model does not know
    Object.keys(extra).forEach(function (k) { delete state[k]; });
    extra = {};
    update();
    writeHash();
  }

  function fieldWarnings() {
    fields.forEach(function (f) {
      var w = $('w-' + f.id), box = $('f-' + f.id);
      var msg = '';
      if (f.kind === 'numeric' || f.kind === 'categorical' || f.kind === 'stratum') {
        var one = {};
        one[f.name] = has(state, f.name) ? state[f.name] : undefined;
        var v = one[f.name];
        if (v === undefined) msg = '';
        else if (f.kind === 'numeric') {
          var n = parseNumber(v.trim());
          if (n === null) msg = "covariate '" + f.name + "' = '" + v.trim() + "' is not valid: expected a number";
          else {
            var r = M.ranges.filter(function (x) { return x.name === f.name; })[0];
            if (r && (n < r.min || n > r.max)) msg = rangeWarning(f.name, n, r);
          }
        } else {
          var levels = f.kind === 'stratum' ? M.strata.levels : f.levels;
          if (matchLevel(levels, v.trim()) === null) {
            msg = (f.kind === 'stratum' ? 'stratum' : 'covariate') + " '" + f.name + "' = '" +
              v.trim() + "' is not valid: expected one of: " + levels.join(', ');
          }
        }
      }
      w.textContent = msg;
      w.hidden = !msg;
      box.classList.toggle('out', !!msg);
    });
  }

  var last = null;

  function update() {
    fieldWarnings();
    var msg = $('message'), out = $('output'), wl = $('warnings');
    var result;
    try {
      result = CR ? predict(state, shownTimes()) : predict(state);
    } catch (e) {
      msg.textContent = e.message;
      msg.hidden = false;
      out.classList.add('stale');
      out.setAttribute('aria-hidden', 'true');
      wl.hidden = true;
      last = null;
      return;
    }
    last = result;
    msg.hidden = true;
    msg.textContent = '';
    out.classList.remove('stale');
    out.removeAttribute('aria-hidden');
    wl.textContent = '';
    result.warnings.forEach(function (w) { wl.appendChild(el('li', null, w)); });
    wl.hidden = !result.warnings.length;
    if (CR) {
      renderIncidence(result);
      renderIncidenceCurve(result);
      renderPoints(result);
      return;
    }
    renderSurvival(result);
    renderMedian(result);
    renderRisk(result);
    renderCurve();
    renderPoints(result);
  }

  function renderSurvival(r) {
    var body = document.querySelector('#survival tbody');
    body.textContent = '';
    r.survival.forEach(function (s) {
      var tr = el('tr');
      tr.appendChild(el('th', { scope: 'row' }, 'At ' + timeWords(s.time)));
      var td = el('td');
      var v = el('span', { 'class': 'sv', 'data-time': String(s.time), 'data-surv': String(s.surv),
        'data-lower': String(s.lower), 'data-upper': String(s.upper), 'data-se': String(s.se) },
        pct(s.surv));
      td.appendChild(v);
      td.appendChild(el('span', { 'class': 'ci' }, ' (95% CI ' + pct(s.lower) + ' to ' + pct(s.upper) + ')'));
      tr.appendChild(td);
      var n = Math.round(100 * s.surv);
      tr.appendChild(el('td', { 'class': 'words' }, n + ' of 100 similar patients alive at ' +
        timeWords(s.time)));
      body.appendChild(tr);
    });
  }

  function renderMedian(r) {
    var p = $('median'), m = r.median;
    var f = function (v) { return v === null ? '' : String(v); };
    p.setAttribute('data-median', f(m.median));
    p.setAttribute('data-median-lower', f(m.lower));
    p.setAttribute('data-median-upper', f(m.upper));
    var w = function (v) { return v === null ? 'not reached' : formatNumber(v) + ' ' + unit; };
    if (m.median === null) {
      p.textContent = 'Median survival: not reached (more than half of similar patients are ' +
        'predicted alive at the end of follow-up; 95% CI ' + w(m.lower) + ' to ' + w(m.upper) + ').';
    } else {
      p.textContent = 'Median survival: ' + w(m.median) + ' (95% CI ' + w(m.lower) + ' to ' +
        w(m.upper) + '): half of similar patients are predicted alive at ' + timeWords(m.median) + '.';
    }
  }

  function renderRisk(r) {
    var p = $('risk'), g = riskGroup(r);
    if (!g) { p.hidden = true; return; }
    p.hidden = false;
    p.setAttribute('data-group', g.label);
    p.textContent = 'Risk group: ' + g.label + '; this patient has ' + (M.risk_groups.on === 'lp' ?
      'a linear predictor of ' + g.score.toFixed(3) : g.score.toFixed(1) + ' points') + '.';
  }

  function renderPoints(r) {
    var host = $('points');
    host.textContent = '';
    if (!r.points) return;
    var N = M.nomogram;
    host.appendChild(el('h3', null, 'Nomogram points'));
    var list = el('div', { 'class': 'pts' });
    var maxTotal = N.top_points.reduce(function (a, b) { return a + b; }, 0);
    r.points.factors.forEach(function (f, j) {
      var row = el('div', { 'class': 'pt-row' });
      row.appendChild(el('span', { 'class': 'pt-name' }, M.covariates[j].label + ': ' + optionText(j, f.value)));
      var bar = el('span', { 'class': 'pt-bar', 'aria-hidden': 'true' });
      var fill = el('span');
      fill.style.width = Math.max(0, Math.min(100, 100 * f.points / N.max_points)) + '%';
      bar.appendChild(fill);
      row.appendChild(bar);
      row.appendChild(el('span', { 'class': 'pt-val', 'data-points': String(f.points) }, f.points.toFixed(1)));
      list.appendChild(row);
    });
    var tot = el('div', { 'class': 'pt-row total' });
    tot.appendChild(el('span', { 'class': 'pt-name' }, 'Total points'));
    var tbar = el('span', { 'class': 'pt-bar', 'aria-hidden': 'true' });
    var tfill = el('span');
    tfill.style.width = Math.max(0, Math.min(100, 100 * r.points.total / maxTotal)) + '%';
    tbar.appendChild(tfill);
    tot.appendChild(tbar);
    tot.appendChild(el('span', { 'class': 'pt-val', id: 'total-points',
      'data-points': String(r.points.total) }, r.points.total.toFixed(1)));
    list.appendChild(tot);
    host.appendChild(list);
    host.appendChild(el('p', { 'class': 'small', id: 'lp', 'data-lp': String(r.lp) },
      'Bars: points of each factor (0 to ' + N.max_points + ') and the total (0 to ' +
      maxTotal.toFixed(0) + '). Linear predictor ' + r.lp.toFixed(4) + '.'));
  }

  function optionText(j, value) {
    var c = M.covariates[j];
    var o = c.options.filter(function (x) { return x.value === value; })[0];
    return o ? o.label : value;
  }

  // ---- the survival curve, SVG

  function niceTicks(lo, hi, n) {
    var range = hi - lo;
    if (!(range > 0)) return [lo];
    var raw = range / n, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; })
      .filter(function (s) { return s >= raw; })[0];
    if (perYear && unit && hi > 2 * perYear) {
      // whole years when the axis spans years
      var ys = [1, 2, 5, 10].map(function (m) { return m * perYear; })
        .filter(function (s) { return s >= raw; })[0];
      if (ys) step = ys;
    }
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * range; v += step) out.push(v);
    return out;
  }

  var SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // the time axis of a curve (ticks, labels, title) and both axis lines, in the frame f
  // (width W, height H, margins L, R, T, B)
  function timeAxis(g, f, X, tmax, unit) {
    var W = f.W, H = f.H, L = f.L, R = f.R, T = f.T, B = f.B;
    niceTicks(0, tmax, W < 480 ? 4 : 6).forEach(function (t) {
      g.appendChild(svg('line', { x1: X(t), x2: X(t), y1: H - B, y2: H - B + 5, 'class': 'tick' }));
      g.appendChild(svg('text', { x: X(t), y: H - B + 22, 'text-anchor': 'middle' }, formatNumber(Math.round(t * 1e6) / 1e6)));
    });
    g.appendChild(svg('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, 'class': 'axis' }));
    g.appendChild(svg('line', { x1: L, x2: L, y1: T, y2: H - B, 'class': 'axis' }));
    g.appendChild(svg('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' },
      'Time' + (unit ? ' (' + unit + ')' : '')));
  }


  function renderCurve() {
    var fig = $('curve');
    var old = fig.querySelector('svg');
    if (old) old.remove();
    var enc;
    try { enc = encodePatient(state); } catch (e) { return; }
    var c = patientCurve(enc.x, enc.stratum);
    // one unit of the drawing is about one CSS pixel, so that text keeps its size on a phone
    var W = Math.round(Math.max(320, Math.min(640, fig.clientWidth || 640)));
    var H = Math.round(Math.max(260, Math.min(340, W * 0.56))), L = 56, R = 14, T = 14, B = 52;
    var tmax = Math.max(c.time.length ? c.time[c.time.length - 1] : 1,
      Math.max.apply(null, M.times.concat([0])));
    if (!(tmax > 0)) tmax = 1;
    var X = function (t) { return L + (W - L - R) * t / tmax; };
    var Y = function (s) { return T + (H - T - B) * (1 - s); };
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': 'Predicted survival curve', 'class': 'curve' });
    // grid and axes
    var g = svg('g', { 'class': 'axes' });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (s) {
      g.appendChild(svg('line', { x1: L, x2: W - R, y1: Y(s), y2: Y(s), 'class': 'grid' }));
      g.appendChild(svg('text', { x: L - 8, y: Y(s) + 5, 'text-anchor': 'end' }, (100 * s) + '%'));
    });
    timeAxis(g, { W: W, H: H, L: L, R: R, T: T, B: B }, X, tmax, unit);
    root.appendChild(g);
    // band and curve as steps
    var up = ['M', X(0), Y(1)], lo = [], line = ['M', X(0), Y(1)];
    var prevU = 1, prevL = 1, prevS = 1;
    var lower = [X(0) + ',' + Y(1)];
    for (var k = 0; k < c.time.length; k++) {
      var lim = logLimits(c.surv[k], c.se[k]);
      var x = X(c.time[k]);
      up.push('L', x, Y(prevU), 'L', x, Y(lim[1]));
      lower.push(x + ',' + Y(prevL), x + ',' + Y(lim[0]));
      line.push('L', x, Y(prevS), 'L', x, Y(c.surv[k]));
      prevU = lim[1]; prevL = lim[0]; prevS = c.surv[k];
    }
    up.push('L', X(tmax), Y(prevU));
    lower.push(X(tmax) + ',' + Y(prevL));
    line.push('L', X(tmax), Y(prevS));
    var band = up.join(' ') + ' L ' + lower.reverse().join(' L ') + ' Z';
    lo = null;
    root.appendChild(svg('path', { d: band, 'class': 'band' }));
    root.appendChild(svg('path', { d: line.join(' '), 'class': 'line' }));
    // horizons
    M.times.forEach(function (t) {
      if (t > tmax) return;
      var s = curveAt(c, t);
      root.appendChild(svg('line', { x1: X(t), x2: X(t), y1: T, y2: H - B, 'class': 'hz' }));
      root.appendChild(svg('circle', { cx: X(t), cy: Y(s.surv), r: 4.5, 'class': 'dot' }));
    });
    fig.insertBefore(root, fig.firstChild);
  }

  // ---- the competing-risks page

  var causeWords = CR ? M.event + ' = ' + M.cause : '';
  var competingWords = CR ? M.event + ' = ' + M.competing.join(' or ') + ' competing' : '';

  // the horizons, and the time typed under the table when it is one
  function shownTimes() {
    var t = extraTime();
    return t === null ? M.times.slice() : M.times.concat([t]);
  }

  function extraTime() {
    var inp = $('time-extra');
    if (!inp) return null;
    var text = inp.value.trim(), w = $('w-time-extra');
    var v = text === '' ? null : parseNumber(text);
    var bad = text !== '' && (v === null || v < 0);
    w.textContent = bad ? "'" + text + "' is not a time >= 0" : '';
    w.hidden = !bad;
    $('f-time-extra').classList.toggle('out', bad);
    return bad ? null : v;
  }

  function renderIncidence(r) {
    var body = document.querySelector('#incidence tbody');
    body.textContent = '';
    var f = function (v) { return v === null ? '' : String(v); };
    r.incidence.forEach(function (q, k) {
      var tr = el('tr', k >= M.times.length ? { 'class': 'extra' } : null);
      tr.appendChild(el('th', { scope: 'row' }, 'By ' + timeWords(q.time)));
      var td = el('td');
      td.appendChild(el('span', { 'class': 'sv', 'data-time': String(q.time), 'data-cif': String(q.cif),
        'data-se': f(q.se), 'data-lower': f(q.lower), 'data-upper': f(q.upper) }, pct(q.cif)));
      if (q.lower !== null) {
        td.appendChild(el('span', { 'class': 'ci' }, ' (' + displayNumber(100 * M.conf_level) +
          '% CI ' + pct(q.lower) + ' to ' + pct(q.upper) + ')'));
      }
      tr.appendChild(td);
      tr.appendChild(el('td', { 'class': 'words' }, Math.round(100 * q.cif) +
        ' of 100 similar patients have ' + causeWords + ' by ' + timeWords(q.time) +
        ', ' + competingWords));
      body.appendChild(tr);
    });
  }

  function renderIncidenceCurve(r) {
    var fig = $('curve');
    var old = fig.querySelector('svg');
    if (old) old.remove();
    var enc;
    try { enc = encodePatient(state); } catch (e) { return; }
    var time, cif, lower = null, upper = null, k;
    if (CR === 'fine-gray') {
      var P = fineGrayPrep(enc.x);
      time = M.fine_gray.time;
      cif = []; lower = []; upper = [];
      for (k = 0; k < time.length; k++) {
        var q = fineGrayAt(P, k, time[k]);
        cif.push(q.cif); lower.push(q.lower); upper.push(q.upper);
      }
    } else {
      var c = causeSpecificCurve(enc.x);
      time = c.time; cif = c.cif;
    }
    var W = Math.round(Math.max(320, Math.min(640, fig.clientWidth || 640)));
    var H = Math.round(Math.max(260, Math.min(340, W * 0.56))), L = 56, R = 14, T = 14, B = 52;
    var tmax = Math.max(time.length ? time[time.length - 1] : 1,
      Math.max.apply(null, r.incidence.map(function (q) { return q.time; }).concat([0])));
    if (!(tmax > 0)) tmax = 1;
    var top = Math.max.apply(null, (upper || cif).concat([0]));
    var ymax = [0.1, 0.2, 0.4, 0.6, 0.8, 1].filter(function (v) { return v >= top - 1e-12; })[0] || 1;
    var X = function (t) { return L + (W - L - R) * t / tmax; };
    var Y = function (v) { return T + (H - T - B) * (1 - v / ymax); };
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': 'Predicted cumulative incidence of ' + causeWords, 'class': 'curve' });
    var g = svg('g', { 'class': 'axes' });
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      var v = f * ymax;
      g.appendChild(svg('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), 'class': 'grid' }));
      g.appendChild(svg('text', { x: L - 8, y: Y(v) + 5, 'text-anchor': 'end' },
        formatNumber(Math.round(1000 * v) / 10) + '%'));
    });
    timeAxis(g, { W: W, H: H, L: L, R: R, T: T, B: B }, X, tmax, unit);
    root.appendChild(g);
    var line = ['M', X(0), Y(0)], up = ['M', X(0), Y(0)], lo = [X(0) + ',' + Y(0)];
    var pS = 0, pU = 0, pL = 0;
    for (k = 0; k < time.length; k++) {
      var x = X(time[k]);
      line.push('L', x, Y(pS), 'L', x, Y(cif[k]));
      pS = cif[k];
      if (upper) {
        up.push('L', x, Y(pU), 'L', x, Y(upper[k]));
        lo.push(x + ',' + Y(pL), x + ',' + Y(lower[k]));
        pU = upper[k]; pL = lower[k];
      }
    }
    line.push('L', X(tmax), Y(pS));
    if (upper) {
      up.push('L', X(tmax), Y(pU));
      lo.push(X(tmax) + ',' + Y(pL));
      root.appendChild(svg('path', { d: up.join(' ') + ' L ' + lo.reverse().join(' L ') + ' Z',
        'class': 'band' }));
    }
    root.appendChild(svg('path', { d: line.join(' '), 'class': 'line' }));
    r.incidence.forEach(function (q) {
      if (q.time > tmax) return;
      root.appendChild(svg('line', { x1: X(q.time), x2: X(q.time), y1: T, y2: H - B, 'class': 'hz' }));
      root.appendChild(svg('circle', { cx: X(q.time), cy: Y(q.cif), r: 4.5, 'class': 'dot' }));
    });
    fig.insertBefore(root, fig.firstChild);
  }

  // ---- start

  buildForm();
  state = readHash();
  fillForm();
  update();
  writeHash();
  window.addEventListener('hashchange', function () {
    if (ignoreHash) { ignoreHash = false; return; }
    state = readHash();
    fillForm();
    update();
  });
  var lastWidth = $('curve').clientWidth;
  window.addEventListener('resize', function () {
    var w = $('curve').clientWidth;
    if (w !== lastWidth) { lastWidth = w; if (CR) update(); else renderCurve(); }
  });
  $('reset').addEventListener('click', function () {
    state = defaults();
    extra = {};
    fillForm();
    update();
    writeHash();
  });
  if (CR) $('time-extra').addEventListener('input', update);
  window.prognosis.current = function () { return last; };
})();
