//! Build script: compiles `proto/teleplug.proto` (protox, no protoc) into prost types and
//! pbjson serde impls (the canonical proto3 JSON mapping), and generates the C header with
//! cbindgen into `OUT_DIR/teleplug.h`. The committed `include/teleplug.h` must equal it (a test
//! checks); `TELEPLUG_WRITE_HEADER=1 cargo build` refreshes the committed copy.

use std::env;
use std::path::PathBuf;

use prost::Message;

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    compile_schema(&out);
    generate_header(&out);
}

fn compile_schema(out: &std::path::Path) {
    println!("cargo:rerun-if-changed=proto/teleplug.proto");
    let fds = protox::compile(["teleplug.proto"], ["proto"]).expect("proto/teleplug.proto");
    let descriptor = fds.encode_to_vec();
    std::fs::write(out.join("teleplug_descriptor.bin"), &descriptor).expect("write descriptor");
    prost_build::Config::new()
        .compile_fds(fds)
        .expect("prost-build");
    pbjson_build::Builder::new()
        .register_descriptors(&descriptor)
        .expect("register descriptors")
        // proto3 JSON readers ignore unknown fields (forward compatibility).
        .ignore_unknown_fields()
        .build(&[".teleplug.v1"])
        .expect("pbjson-build");
}

fn generate_header(out: &std::path::Path) {
    for path in ["src/ffi", "cbindgen.toml", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={path}");
    }
    println!("cargo:rerun-if-env-changed=TELEPLUG_WRITE_HEADER");
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).expect("version");
    let macros = format!(
        "\n/* The library version this header was generated from. */\n\
         #define TP_VERSION_MAJOR {}\n#define TP_VERSION_MINOR {}\n#define TP_VERSION_PATCH {}\n\
         #define TP_VERSION_STRING \"{}\"\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH"),
        env::var("CARGO_PKG_VERSION").expect("version"),
    );
    let config = cbindgen::Config::from_file("cbindgen.toml").expect("cbindgen.toml");
    let mut builder = cbindgen::Builder::new()
        .with_config(config)
        .with_after_include(macros);
    for file in ["src/ffi/abi.rs", "src/ffi/exports.rs"] {
        builder = builder.with_src(file);
    }
    let bindings = builder.generate().expect("cbindgen");
    let header = out.join("teleplug.h");
    bindings.write_to_file(&header);
    if env::var_os("TELEPLUG_WRITE_HEADER").is_some() {
        std::fs::create_dir_all("include").expect("include/");
        std::fs::copy(&header, "include/teleplug.h").expect("write include/teleplug.h");
    }
}
