//! PowerShell (`pwsh`, `powershell`). Ward does not parse PowerShell, so its code
//! is opaque (asked about under the safety preset), never silently allowed; the
//! download-and-run idiom (`iex (iwr URL)`, `Invoke-Expression … DownloadString`)
//! is remote code, and `-EncodedCommand` hidden code.

use super::code::remote_code;
use super::walk::{Stream, Walker};
use super::words::Arg;
use crate::TargetKind;

/// The programs.
pub(super) const POWERSHELLS: [&str; 4] = ["pwsh", "powershell", "pwsh.exe", "powershell.exe"];

/// Words that run a string as code.
const EVALUATES: [&str; 2] = ["iex", "invoke-expression"];

/// Words that fetch from the network.
const FETCHES: [&str; 8] = [
    "iwr",
    "irm",
    "invoke-webrequest",
    "invoke-restmethod",
    "downloadstring",
    "downloadfile",
    "net.webclient",
    "start-bitstransfer",
];

pub(super) fn powershell(walker: &mut Walker<'_>, program: &str, args: &[Arg], stdin: &Stream) {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        let option = arg.text.to_ascii_lowercase();
        match option.as_str() {
            "-c" | "-command" | "/c" | "/command" => {
                // The rest of the line is the command.
                let code: Vec<&str> = args
                    .get(index..)
                    .unwrap_or_default()
                    .iter()
                    .map(|word| word.text.as_str())
                    .collect();
                let known = args
                    .get(index..)
                    .unwrap_or_default()
                    .iter()
                    .all(Arg::is_literal);
                return code_given(walker, program, &code.join(" "), known);
            }
            "-e" | "-ec" | "-enc" | "-encodedcommand" => {
                walker.action.add_tag("hidden-code");
                walker.opaque(format!(
                    "hidden code: `{program} -EncodedCommand` runs base64-encoded PowerShell"
                ));
                return;
            }
            "-f" | "-file" => {
                if let Some(script) = args.get(index) {
                    walker.add_path(script, TargetKind::Execute, program);
                }
                walker.opaque(format!(
                    "PowerShell scripts run by `{program}` are not analysed"
                ));
                return;
            }
            // Options with a value.
            "-executionpolicy" | "-ex" | "-ep" | "-workingdirectory" | "-wd" | "-windowstyle"
            | "-w" | "-configurationname" | "-outputformat" | "-o" | "-inputformat" | "-if"
            | "-settingsfile" => index += 1,
            _ if option.starts_with('-') => {}
            // A word that is no option: a script file, or the command itself.
            _ => {
                walker.add_path(arg, TargetKind::Execute, program);
                walker.opaque(format!(
                    "PowerShell scripts run by `{program}` are not analysed"
                ));
                return;
            }
        }
    }
    match stdin {
        Stream::Text(code) => code_given(walker, program, code, true),
        Stream::Inherited => {}
        _ => walker.opaque(format!(
            "PowerShell code fed to `{program}` on stdin is not analysed"
        )),
    }
}

/// PowerShell code: remote code when it evaluates what it fetches, else opaque.
fn code_given(walker: &mut Walker<'_>, program: &str, code: &str, known: bool) {
    walker.action.add_tag("inline-script");
    let lowered = code.to_ascii_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .collect();
    let evaluates = words.iter().any(|word| EVALUATES.contains(word));
    let fetches = words
        .iter()
        .any(|word| FETCHES.iter().any(|fetch| word.ends_with(fetch)));
    if evaluates && fetches {
        remote_code(
            walker,
            format!("remote code: `{program}` runs PowerShell code it downloads"),
        );
    } else if known {
        walker.opaque(format!(
            "PowerShell code given to `{program}` is not analysed"
        ));
    } else {
        walker.opaque(format!(
            "the PowerShell code given to `{program}` is only known when the line runs"
        ));
    }
}
