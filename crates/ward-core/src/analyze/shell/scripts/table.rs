//! Which names do what, per language: the calls that delete, write, read, run,
//! connect or evaluate, and which of their arguments name the path, command or
//! address. A name matches a pattern by its last segment, with the qualifier the
//! pattern requires (`os.remove`, not `list.remove`); `*.x` accepts any qualifier
//! and a bare `x` only an unqualified call. A trailing `*` matches a prefix
//! (`os.execv*`). The first rule that matches wins.

use super::Context;
use super::Language;
use super::calls::Call;

mod acts;

const PY: u8 = 1;
const JS: u8 = 2;
const PL: u8 = 4;
const RB: u8 = 8;
const PHP: u8 = 16;

/// Reasons given for code Ward cannot follow.
const BUILT_CODE: &str = "runs code built at run time";

/// What a call does, and how to read its arguments.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// Deletes its first argument (a path or a list of paths), or its receiver.
    Delete,
    /// Deletes every argument (`unlink LIST`, `File.delete(a, b)`).
    DeleteEach,
    Write,
    Read,
    /// Reads a file, or fetches a URL (PHP `file_get_contents`).
    ReadOrNetwork,
    /// Deletes its source and writes its destination.
    Move,
    /// Reads its source and writes its destination.
    Copy,
    /// Opens its first argument; the mode (argument at this index, or `mode=`)
    /// says whether it writes.
    Open(usize),
    PerlOpen,
    /// Ruby `open`: a file, a command (`"|cmd"`) or a URL (open-uri).
    RubyOpen,
    /// Runs its first argument as shell code.
    Shell,
    /// Perl and Ruby `system`/`exec`: one string is shell code, several are an
    /// argument vector.
    System,
    /// A string is shell code, a list an argument vector (`IO.popen`, `proc_open`).
    ShellOrList,
    /// Python `subprocess`: a list, or a string with `shell=True`.
    Subprocess,
    /// A program and a list of its arguments (`spawn`, `execFile`, `pcntl_exec`).
    Spawn,
    /// Node `fork`: runs a module in a new `node`.
    Fork,
    /// A path at this index, then a full argument vector (`os.execv`).
    ExecVector(usize),
    /// A path at this index, then `argv[0]`, then each argument (`os.execl`).
    ExecList(usize),
    /// An argument vector, or a program name (`pty.spawn`, `Bun.spawn`).
    Argv,
    /// Like `Argv`, in a pseudo-terminal.
    Pty,
    /// Redirects a standard stream (`os.dup2`, `STDIN.reopen`).
    Dup,
    /// Fetches the URL at this index.
    Network(usize),
    /// A request whose URL was set elsewhere, unless one was already reported.
    NetworkUnlessSeen,
    /// Connects a raw socket to the address from this index on.
    Socket(usize),
    /// Creates a raw socket.
    RawSocket,
    /// Runs its first argument as code: scanned when literal.
    Eval(&'static str),
    /// Runs its last argument as code (`new Function("a", "return a")`).
    EvalLast(&'static str),
    Dynamic(&'static str),
    /// Loads a module by name: dynamic unless the name is literal.
    Loader(&'static str),
    /// Python `getattr`: dynamic unless the attribute is literal.
    GetAttr,
    /// Calls the function named by its first argument with the rest
    /// (`send(:system, …)`, `call_user_func("system", …)`).
    Redirect(&'static str),
    /// Decodes base64, hex or compressed data.
    Decode,
    /// Decodes when an argument names an encoding or template (`Buffer.from(x,
    /// "base64")`, `unpack("m")`).
    DecodeIf(Marker),
}

#[derive(Debug, Clone, Copy)]
enum Marker {
    Encoding,
    PackTemplate,
}

impl Marker {
    fn matches(self, text: &str) -> bool {
        match self {
            Marker::Encoding => matches!(
                text.to_ascii_lowercase().as_str(),
                "base64"
                    | "base64url"
                    | "base32"
                    | "base85"
                    | "hex"
                    | "rot13"
                    | "rot_13"
                    | "zlib"
                    | "bz2"
                    | "uu"
            ),
            Marker::PackTemplate => text.starts_with(['m', 'H', 'h', 'u']),
        }
    }
}

/// A condition on the rest of the script.
#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    /// `x.connect(…)` is a network connection once the script made a socket.
    RawSocket,
    /// Perl `$ua->get(…)` is a request when the script loads an HTTP client.
    HttpClient,
}

struct Rule {
    languages: u8,
    patterns: &'static [&'static str],
    act: Act,
    when: When,
}

const fn on(languages: u8, patterns: &'static [&'static str], act: Act) -> Rule {
    Rule {
        languages,
        patterns,
        act,
        when: When::Always,
    }
}

const fn when(languages: u8, patterns: &'static [&'static str], act: Act, when: When) -> Rule {
    Rule {
        languages,
        patterns,
        act,
        when,
    }
}

const RULES: &[Rule] = &[
    // Python
    on(
        PY,
        &[
            "os.remove",
            "os.removedirs",
            "shutil.rmtree",
            "*.unlink",
            "*.rmdir",
        ],
        Act::Delete,
    ),
    on(
        PY,
        &[
            "shutil.move",
            "os.rename",
            "os.renames",
            "os.replace",
            "*.rename",
        ],
        Act::Move,
    ),
    on(PY, &["shutil.copy*"], Act::Copy),
    on(
        PY,
        &["*.write_text", "*.write_bytes", "*.touch"],
        Act::Write,
    ),
    on(PY, &["*.read_text", "*.read_bytes"], Act::Read),
    on(
        PY,
        &["open", "io.open", "codecs.open", "os.open"],
        Act::Open(1),
    ),
    on(
        PY,
        &[
            "os.system",
            "os.popen",
            "subprocess.getoutput",
            "subprocess.getstatusoutput",
            "commands.get*",
        ],
        Act::Shell,
    ),
    on(
        PY,
        &[
            "subprocess.run",
            "subprocess.call",
            "subprocess.check_call",
            "subprocess.check_output",
            "subprocess.Popen",
        ],
        Act::Subprocess,
    ),
    on(PY, &["os.execv*", "os.posix_spawn*"], Act::ExecVector(0)),
    on(PY, &["os.execl*"], Act::ExecList(0)),
    on(PY, &["os.spawnv*"], Act::ExecVector(1)),
    on(PY, &["os.spawnl*"], Act::ExecList(1)),
    on(PY, &["pty.spawn"], Act::Pty),
    on(PY, &["os.dup2", "os.dup"], Act::Dup),
    on(PY, &["socket.create_connection"], Act::Socket(0)),
    on(
        PY,
        &["socket.socket", "socket.fromfd", "socket.socketpair"],
        Act::RawSocket,
    ),
    on(PY, &["requests.request", "httpx.request"], Act::Network(1)),
    on(
        PY,
        &[
            "requests.*",
            "httpx.*",
            "*.urlopen",
            "*.urlretrieve",
            "urllib.request.Request",
            "*.HTTPConnection",
            "*.HTTPSConnection",
            "ftplib.FTP*",
            "smtplib.SMTP*",
            "telnetlib.Telnet",
            "webbrowser.open*",
        ],
        Act::Network(0),
    ),
    on(PY, &["exec", "eval", "compile"], Act::Eval(BUILT_CODE)),
    on(
        PY,
        &["execfile", "runpy.run_*"],
        Act::Dynamic("runs another Python file"),
    ),
    on(
        PY,
        &["__import__", "importlib.import_module"],
        Act::Loader("imports a module named at run time"),
    ),
    on(PY, &["getattr"], Act::GetAttr),
    on(
        PY,
        &[
            "pickle.load*",
            "cPickle.load*",
            "marshal.load*",
            "dill.load*",
        ],
        Act::Dynamic("unpickles data, which can run code"),
    ),
    on(
        PY,
        &[
            "*.b64decode",
            "*.standard_b64decode",
            "*.urlsafe_b64decode",
            "*.b32decode",
            "*.b16decode",
            "*.a85decode",
            "*.b85decode",
            "*.decodebytes",
            "*.decodestring",
            "*.unhexlify",
            "*.fromhex",
            "zlib.decompress",
            "bz2.decompress",
            "lzma.decompress",
            "gzip.decompress",
        ],
        Act::Decode,
    ),
    on(
        PY,
        &["codecs.decode", "*.decode"],
        Act::DecodeIf(Marker::Encoding),
    ),
    // JavaScript
    on(
        JS,
        &[
            "fs.rm*",
            "fs.unlink*",
            "fs.remove*",
            "fs.emptyDir*",
            "rimraf",
            "rimraf.*",
        ],
        Act::Delete,
    ),
    on(
        JS,
        &[
            "fs.writeFile*",
            "fs.appendFile*",
            "fs.createWriteStream",
            "fs.truncate*",
            "fs.outputFile*",
            "fs.writeJson*",
            "fs.outputJson*",
        ],
        Act::Write,
    ),
    on(
        JS,
        &["fs.readFile*", "fs.createReadStream", "fs.readJson*"],
        Act::Read,
    ),
    on(JS, &["fs.rename*", "fs.move*"], Act::Move),
    on(JS, &["fs.copyFile*", "fs.cp*", "fs.copy*"], Act::Copy),
    on(JS, &["fs.open*"], Act::Open(1)),
    on(
        JS,
        &["child_process.exec", "child_process.execSync"],
        Act::Shell,
    ),
    on(
        JS,
        &["child_process.spawn*", "child_process.execFile*"],
        Act::Spawn,
    ),
    on(JS, &["child_process.fork"], Act::Fork),
    on(JS, &["Bun.spawn*"], Act::Argv),
    on(
        JS,
        &["net.connect", "net.createConnection", "tls.connect"],
        Act::Socket(0),
    ),
    on(JS, &["net.Socket", "dgram.createSocket"], Act::RawSocket),
    on(
        JS,
        &[
            "fetch",
            "axios",
            "axios.*",
            "http.get",
            "http.request",
            "https.get",
            "https.request",
            "http2.connect",
            "WebSocket",
            "EventSource",
            "XMLHttpRequest",
            "got",
            "got.*",
            "superagent.*",
        ],
        Act::Network(0),
    ),
    on(
        JS,
        &[
            "eval",
            "vm.runIn*",
            "vm.Script",
            "vm.compileFunction",
            "vm.SourceTextModule",
        ],
        Act::Eval(BUILT_CODE),
    ),
    on(JS, &["Function"], Act::EvalLast(BUILT_CODE)),
    on(
        JS,
        &["require", "import"],
        Act::Loader("loads a module named at run time"),
    ),
    on(JS, &["atob"], Act::Decode),
    on(JS, &["Buffer.from"], Act::DecodeIf(Marker::Encoding)),
    // Ruby
    on(
        RB,
        &[
            "FileUtils.rm*",
            "FileUtils.remove*",
            "FileUtils.safe_unlink",
            "Dir.rmdir",
            "Dir.delete",
            "Dir.unlink",
            "Pathname.delete",
            "Pathname.unlink",
            "Pathname.rmtree",
            "Pathname.rmdir",
            "Pathname.new.delete",
            "Pathname.new.unlink",
            "Pathname.new.rmtree",
            "Pathname.new.rmdir",
        ],
        Act::Delete,
    ),
    on(RB, &["File.delete", "File.unlink"], Act::DeleteEach),
    on(
        RB,
        &["FileUtils.mv", "FileUtils.move", "File.rename"],
        Act::Move,
    ),
    on(
        RB,
        &["FileUtils.cp*", "FileUtils.copy*", "FileUtils.install"],
        Act::Copy,
    ),
    on(
        RB,
        &["File.write", "File.binwrite", "IO.write", "FileUtils.touch"],
        Act::Write,
    ),
    on(
        RB,
        &[
            "File.read",
            "File.readlines",
            "File.foreach",
            "File.binread",
            "IO.read",
            "IO.readlines",
            "IO.binread",
        ],
        Act::Read,
    ),
    on(RB, &["File.open", "File.new"], Act::Open(1)),
    on(
        RB,
        &[
            "system",
            "exec",
            "spawn",
            "Process.spawn",
            "Process.exec",
            "Open3.*",
        ],
        Act::System,
    ),
    on(RB, &["IO.popen"], Act::ShellOrList),
    on(RB, &["open"], Act::RubyOpen),
    on(RB, &["*.reopen"], Act::Dup),
    on(RB, &["TCPSocket.*", "Socket.tcp"], Act::Socket(0)),
    on(RB, &["Socket.new", "UDPSocket.new"], Act::RawSocket),
    on(
        RB,
        &[
            "URI.open",
            "Net.HTTP.*",
            "HTTParty.*",
            "Faraday.*",
            "RestClient.*",
        ],
        Act::Network(0),
    ),
    on(
        RB,
        &[
            "eval",
            "instance_eval",
            "class_eval",
            "module_eval",
            "*.eval",
            "*.instance_eval",
            "*.class_eval",
            "*.module_eval",
        ],
        Act::Eval(BUILT_CODE),
    ),
    on(
        RB,
        &[
            "send",
            "public_send",
            "__send__",
            "*.send",
            "*.public_send",
            "*.__send__",
        ],
        Act::Redirect("calls a method named at run time"),
    ),
    on(
        RB,
        &[
            "Base64.decode64",
            "Base64.strict_decode64",
            "Base64.urlsafe_decode64",
            "Zlib.Inflate.inflate",
            "Zlib.inflate",
        ],
        Act::Decode,
    ),
    on(
        RB,
        &["*.unpack", "*.unpack1"],
        Act::DecodeIf(Marker::PackTemplate),
    ),
    // Perl
    on(PL, &["unlink"], Act::DeleteEach),
    on(
        PL,
        &[
            "rmdir",
            "rmtree",
            "remove_tree",
            "File.Path.rmtree",
            "File.Path.remove_tree",
        ],
        Act::Delete,
    ),
    on(PL, &["move", "File.Copy.move"], Act::Move),
    on(PL, &["copy", "File.Copy.copy"], Act::Copy),
    on(PL, &["system", "exec"], Act::System),
    on(PL, &["open"], Act::PerlOpen),
    on(PL, &["*.fdopen"], Act::Dup),
    on(
        PL,
        &[
            "IO.Socket.INET",
            "IO.Socket.INET.new",
            "IO.Socket.IP",
            "IO.Socket.IP.new",
            "IO.Socket.INET6.new",
            "IO.Socket.SSL.new",
        ],
        Act::Socket(0),
    ),
    on(PL, &["socket"], Act::RawSocket),
    when(PL, &["connect"], Act::Socket(1), When::RawSocket),
    when(
        PL,
        &[
            "get",
            "getstore",
            "getprint",
            "mirror",
            "head",
            "*.get",
            "*.post",
            "*.put",
            "*.request",
            "*.mirror",
            "*.head",
            "*.delete",
            "*.patch",
            "*.getstore",
            "HTTP.Request.new",
        ],
        Act::Network(0),
        When::HttpClient,
    ),
    on(PL, &["eval"], Act::Eval(BUILT_CODE)),
    on(
        PL,
        &["decode_base64", "MIME.Base64.decode_base64"],
        Act::Decode,
    ),
    on(PL, &["pack", "unpack"], Act::DecodeIf(Marker::PackTemplate)),
    // PHP
    on(PHP, &["unlink", "rmdir", "*.remove"], Act::Delete),
    on(PHP, &["file_put_contents", "touch"], Act::Write),
    on(
        PHP,
        &["file_get_contents", "readfile", "file"],
        Act::ReadOrNetwork,
    ),
    on(PHP, &["fopen"], Act::Open(1)),
    on(PHP, &["copy"], Act::Copy),
    on(PHP, &["rename"], Act::Move),
    on(
        PHP,
        &["system", "exec", "shell_exec", "passthru", "popen"],
        Act::Shell,
    ),
    on(PHP, &["proc_open"], Act::ShellOrList),
    on(PHP, &["pcntl_exec"], Act::Spawn),
    on(
        PHP,
        &["fsockopen", "pfsockopen", "stream_socket_client"],
        Act::Socket(0),
    ),
    on(PHP, &["socket_create"], Act::RawSocket),
    on(PHP, &["socket_connect"], Act::Socket(1)),
    on(PHP, &["curl_init"], Act::Network(0)),
    on(PHP, &["curl_exec"], Act::NetworkUnlessSeen),
    on(PHP, &["eval"], Act::Eval(BUILT_CODE)),
    on(
        PHP,
        &["create_function"],
        Act::Dynamic("builds a function from a string"),
    ),
    on(
        PHP,
        &["call_user_func", "call_user_func_array"],
        Act::Redirect("calls a function named at run time"),
    ),
    on(
        PHP,
        &[
            "base64_decode",
            "gzinflate",
            "gzuncompress",
            "gzdecode",
            "str_rot13",
            "hex2bin",
            "convert_uudecode",
        ],
        Act::Decode,
    ),
    // Any socket, once the script made one (`s.connect(("h", 4444))`).
    when(
        PY | JS | RB,
        &["*.connect", "*.connect_ex"],
        Act::Socket(0),
        When::RawSocket,
    ),
    when(PY, &["*.bind"], Act::Socket(0), When::RawSocket),
];

fn language_bit(language: Language) -> u8 {
    match language {
        Language::Python => PY,
        Language::JavaScript => JS,
        Language::Perl => PL,
        Language::Ruby => RB,
        Language::Php => PHP,
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => text.starts_with(prefix),
        None => pattern == text,
    }
}

fn matches(pattern: &str, name: &str) -> bool {
    let Some((qualifier, last)) = pattern.rsplit_once('.') else {
        return glob(pattern, name);
    };
    let Some((name_qualifier, name_last)) = name.rsplit_once('.') else {
        return false;
    };
    glob(last, name_last)
        && (qualifier == "*"
            || name_qualifier == qualifier
            || name_qualifier
                .strip_suffix(qualifier)
                .is_some_and(|head| head.ends_with('.')))
}

fn rule_for(context: &Context, name: &str) -> Option<&'static Rule> {
    let bit = language_bit(context.language);
    let holds = |rule: &Rule| match rule.when {
        When::Always => true,
        When::RawSocket => context.raw_socket,
        When::HttpClient => context.http_client,
    };
    let find = |candidate: &str| {
        RULES.iter().find(|rule| {
            rule.languages & bit != 0
                && rule.patterns.iter().any(|p| matches(p, candidate))
                && holds(rule)
        })
    };
    find(name).or_else(|| {
        if name.contains('.') {
            return None;
        }
        context
            .star_modules
            .iter()
            .find_map(|module| find(&format!("{module}.{name}")))
    })
}

/// Whether the table knows `name` (calls without parentheses are read only then).
pub(super) fn knows(context: &Context, name: &str) -> bool {
    rule_for(context, name).is_some()
}

/// Adds the effects of `call` to the context.
pub(super) fn apply(context: &mut Context, call: &Call<'_, '_>) {
    if let Some(rule) = rule_for(context, call.name) {
        acts::apply(context, call, rule.act);
    }
}
