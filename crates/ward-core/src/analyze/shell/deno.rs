//! `deno`, the JavaScript and TypeScript runtime. Unlike `node`, it runs code by
//! subcommand, and takes scripts by URL: `deno run -` runs what it reads on stdin
//! (`curl … | deno run -` is remote code), `deno run https://…` and `deno x` run
//! code from the network, and `deno eval CODE` is inline code, read as `node -e`.

use super::code::{interpreter, remote_code};
use super::walk::{Stream, Walker};
use super::words::Arg;

/// Options that take the next word as their value when not written `--name=value`.
const WITH_VALUE: [&str; 9] = [
    "-c",
    "--config",
    "--import-map",
    "--lock",
    "--cert",
    "--location",
    "--seed",
    "--env-file",
    "--inspect-brk",
];

/// Script specifiers that name code on the network.
const REMOTE_SCHEMES: [&str; 4] = ["http://", "https://", "npm:", "jsr:"];

pub(super) fn deno(walker: &mut Walker<'_>, args: &[Arg], stdin: &Stream) -> Stream {
    let Some((subcommand, rest)) = args.split_first() else {
        return Stream::output_of("deno");
    };
    // The subcommand's options, then its script or code, then the script's own
    // arguments.
    let mut index = 0;
    while let Some(arg) = rest.get(index) {
        let text = arg.text.as_str();
        if !(text.starts_with('-') && text.len() > 1) {
            break;
        }
        index += if WITH_VALUE.contains(&text) { 2 } else { 1 };
    }
    let operand = rest.get(index);
    match (subcommand.text.as_str(), operand) {
        ("eval", Some(code)) => {
            let node_args = [Arg::literal("-e"), code.clone()];
            interpreter(walker, "node", &node_args, stdin);
        }
        ("x" | "run" | "install" | "compile", Some(script))
            if subcommand.text == "x"
                || REMOTE_SCHEMES
                    .iter()
                    .any(|scheme| script.text.starts_with(scheme)) =>
        {
            remote_code(
                walker,
                format!(
                    "remote code: `deno {}` runs `{}` from the network",
                    subcommand.text, script.text
                ),
            );
        }
        ("run", Some(script)) => {
            // `deno run FILE` and `deno run -` read as `node FILE` and `node -`.
            let node_args: Vec<Arg> = rest.get(index..).unwrap_or_default().to_vec();
            if script.text == "-" {
                interpreter(walker, "node", &[], stdin);
            } else {
                interpreter(walker, "node", &node_args, stdin);
            }
        }
        _ => {}
    }
    Stream::output_of("deno")
}
