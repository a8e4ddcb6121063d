use prognosis::cox::*;
use prognosis::surv::Surv;
fn main() {
    let mut rdr = csv::Reader::from_path("datasets/bone_mets_synthetic.csv").unwrap();
    let mut x = vec![]; let mut t = vec![]; let mut e = vec![];
    for r in rdr.records() { let r = r.unwrap();
        for j in 0..7 { x.push(r[j].parse::<f64>().unwrap()); }
        t.push(r[7].parse::<f64>().unwrap()); e.push(&r[8] == "1"); }
    let n = t.len();
    let names: Vec<String> = ["age","brain","liver","lung","pr","surgery","chemo"].iter().map(|s| s.to_string()).collect();
    let d = Design::new(x, n, names).unwrap();
    let s = Surv::new(t, e).unwrap();
    for ties in [Ties::Efron, Ties::Breslow] {
    let f = fit(&d, &s, FitExtras::default(), &CoxOptions{ties, ..Default::default()}).unwrap();
    println!("{:?} {:?} iter {} lr {:?} wald {:?} score {:?}", f.coef, f.loglik, f.iterations, f.likelihood_ratio, f.wald, f.score);
    for c in f.coefficients() { println!("{:?}", c); }
    let c = f.patient_curve(d.row(0), 0);
    for tt in [12.0, 36.0, 60.0] { println!("{:?}", c.at(tt)); }
    println!("{:?}", c.median());
    }
}
