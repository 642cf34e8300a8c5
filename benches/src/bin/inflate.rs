//! brisk::inflate against miniz_oxide (flate2's default backend), zlib-rs
//! (the backend of flate2's `zlib-rs` feature, called directly) and
//! libdeflate (C, the ceiling), on three inputs made here deterministically and compressed as raw DEFLATE at
//! level 6 by miniz_oxide:
//!
//! - a 20 MB embeddings-style JSON answer (floats from a fixed-seed LCG);
//! - 20 MB of English-like text (words drawn by a fixed-seed generator
//!   from a Zipf-like table);
//! - 8 MB of random bytes (stored blocks).
//!
//! Each decoder decodes the whole stream into a buffer of the exact size;
//! brisk also in 64 KiB output pieces, as a client streaming a body does.
//! Reps are interleaved (every decoder once per rep) and the median of
//! REPS is printed as MB/s of output (10^6 bytes), with ratios.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/bench-target cargo build --release --bin inflate
//! taskset -c 1 /work/bench-target/release/inflate [REPS]
//! ```

use std::hint::black_box;
use std::time::Instant;

use brisk::inflate::{Format, Inflate};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }
}

/// `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[...]},...]}`
/// with 1,536 floats per item, ~8 significant digits, until `size` bytes.
fn embeddings_json(size: usize) -> Vec<u8> {
    use std::fmt::Write;
    let mut rng = Lcg(1536);
    let mut s = String::with_capacity(size + 100_000);
    s.push_str(r#"{"object":"list","data":["#);
    let mut index = 0;
    while s.len() < size {
        if index > 0 {
            s.push(',');
        }
        write!(s, r#"{{"object":"embedding","index":{index},"embedding":["#).unwrap();
        for i in 0..1536 {
            if i > 0 {
                s.push(',');
            }
            // Roughly normal, small: as embedding components are.
            let x = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 0.05;
            write!(s, "{x:.8e}").unwrap();
        }
        s.push_str("]}");
        index += 1;
    }
    s.push_str(
        r#"],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#,
    );
    s.into_bytes()
}

/// Words drawn with Zipf-like frequencies from a vocabulary of common
/// English words plus made-up ones, with punctuation and line breaks.
fn english_text(size: usize) -> Vec<u8> {
    let common = "the of and to a in is it you that he was for on are with as I his they be at one \
        have this from or had by hot word but what some we can out other were all there when up use \
        your how said an each she which do their time if will way about many then them write would \
        like so these her long make thing see him two has look more day could go come did number \
        sound no most people my over know water than call first who may down side been now find";
    let mut rng = Lcg(1952);
    let mut vocab: Vec<String> = common.split_whitespace().map(str::to_owned).collect();
    while vocab.len() < 200 {
        let len = 2 + (rng.next() % 9) as usize;
        vocab.push(
            (0..len)
                .map(|_| (b'a' + (rng.next() % 26) as u8) as char)
                .collect(),
        );
    }
    let mut out = Vec::with_capacity(size + 100);
    let mut line = 0;
    let mut sentence_start = true;
    while out.len() < size {
        // Zipf (s = 1): P(rank <= k) = ln k / ln N, so "the" is ~10%.
        let n = vocab.len() as f64;
        let rank = ((rng.unit() * (n + 1.0).ln()).exp() as usize).clamp(1, vocab.len()) - 1;
        let word = vocab[rank].as_bytes();
        if sentence_start {
            out.push(word[0].to_ascii_uppercase());
            out.extend_from_slice(&word[1..]);
        } else {
            out.extend_from_slice(word);
        }
        line += word.len() + 1;
        sentence_start = false;
        match rng.next() % 20 {
            0 => {
                out.push(b'.');
                sentence_start = true;
            }
            1 => out.push(b','),
            _ => {}
        }
        if line > 72 {
            out.push(b'\n');
            line = 0;
        } else {
            out.push(b' ');
        }
    }
    out
}

fn random_bytes(size: usize) -> Vec<u8> {
    let mut rng = Lcg(8);
    (0..size).map(|_| (rng.next() >> 17) as u8).collect()
}

type Decoder = fn(&[u8], &mut [u8]) -> usize;

fn brisk_whole(input: &[u8], out: &mut [u8]) -> usize {
    let mut inflate = Inflate::new(Format::Raw);
    let p = inflate.decode(input, out).unwrap();
    assert!(p.done);
    p.produced
}

fn brisk_64k(input: &[u8], out: &mut [u8]) -> usize {
    let mut inflate = Inflate::new(Format::Raw);
    let (mut at, mut produced) = (0, 0);
    loop {
        let end = (produced + 65_536).min(out.len());
        let p = inflate
            .decode(&input[at..], &mut out[produced..end])
            .unwrap();
        at += p.consumed;
        produced += p.produced;
        if p.done {
            return produced;
        }
    }
}

fn miniz(input: &[u8], out: &mut [u8]) -> usize {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    let mut state = Box::<DecompressorOxide>::default();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, _, produced) = decompress(&mut state, input, out, 0, flags);
    assert_eq!(status, miniz_oxide::inflate::TINFLStatus::Done);
    produced
}

fn zlib_rs(input: &[u8], out: &mut [u8]) -> usize {
    use zlib_rs::{decompress_slice, InflateConfig};
    // Negative window bits: raw DEFLATE, as flate2's `Decompress::new(false)`.
    let (decoded, status) = decompress_slice(out, input, InflateConfig { window_bits: -15 });
    assert_eq!(status, zlib_rs::ReturnCode::Ok);
    decoded.len()
}

fn libdeflate(input: &[u8], out: &mut [u8]) -> usize {
    let mut d = libdeflater::Decompressor::new();
    d.deflate_decompress(input, out).unwrap()
}

fn main() {
    let reps: usize = std::env::args().nth(1).map_or(7, |s| s.parse().unwrap());
    let inputs: [(&str, fn() -> Vec<u8>); 3] = [
        ("embeddings JSON, 20 MB", || embeddings_json(20_000_000)),
        ("English-like text, 20 MB", || english_text(20_000_000)),
        ("random, 8 MB (stored)", || random_bytes(8_000_000)),
    ];
    let decoders: [(&str, Decoder); 5] = [
        ("brisk", brisk_whole),
        ("brisk 64K", brisk_64k),
        ("miniz_oxide", miniz),
        ("zlib-rs", zlib_rs),
        ("libdeflate", libdeflate),
    ];
    println!(
        "| input | ratio | {} | brisk / miniz | brisk / zlib-rs | brisk / libdeflate |",
        decoders.map(|d| d.0).join(" | ")
    );
    println!("|---|---|{}---|---|---|", "---|".repeat(decoders.len()));
    // INFLATE_ONLY=random (a word of the input's name) runs just that one.
    let only = std::env::var("INFLATE_ONLY").unwrap_or_default();
    for (name, make) in inputs
        .iter()
        .filter(|(name, _)| name.contains(only.as_str()))
    {
        let data = &make();
        let compressed = miniz_oxide::deflate::compress_to_vec(data, 6);
        let mut out = vec![0u8; data.len()];
        for (dname, decode) in &decoders {
            out.fill(0);
            let n = decode(&compressed, &mut out);
            assert!(
                n == data.len() && out == *data,
                "{dname} decodes {name} wrong"
            );
        }
        let mut times = vec![Vec::new(); decoders.len()];
        for _ in 0..reps {
            for (i, (_, decode)) in decoders.iter().enumerate() {
                let start = Instant::now();
                black_box(decode(black_box(&compressed), &mut out));
                times[i].push(start.elapsed().as_secs_f64());
            }
        }
        let mbps: Vec<f64> = times
            .iter_mut()
            .map(|t| {
                t.sort_by(f64::total_cmp);
                data.len() as f64 / t[t.len() / 2] / 1e6
            })
            .collect();
        println!(
            "| {name} | {:.2} | {} | {:.2} | {:.2} | {:.2} |",
            data.len() as f64 / compressed.len() as f64,
            mbps.iter()
                .map(|m| format!("{m:.0}"))
                .collect::<Vec<_>>()
                .join(" | "),
            mbps[0] / mbps[2],
            mbps[0] / mbps[3],
            mbps[0] / mbps[4],
        );
    }
}
