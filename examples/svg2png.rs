//! Renders an SVG file to PNG with resvg, to look at the SVG figures as a viewer shows them:
//! `cargo run --release --example svg2png -- IN.svg OUT.png [zoom]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: svg2png IN.svg OUT.png [zoom]");
        std::process::exit(2);
    }
    let zoom: f32 = args.get(3).and_then(|z| z.parse().ok()).unwrap_or(2.0);
    let text = std::fs::read_to_string(&args[1]).expect("read the SVG");
    let tree =
        resvg::usvg::Tree::from_str(&text, &resvg::usvg::Options::default()).expect("a valid SVG");
    let size = tree.size().to_int_size().scale_by(zoom).expect("a size");
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("pixmap");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(zoom, zoom),
        &mut pixmap.as_mut(),
    );
    pixmap.save_png(&args[2]).expect("write the PNG");
}
