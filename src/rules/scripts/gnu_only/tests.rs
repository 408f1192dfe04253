use super::awk::awk_issues;
use super::sed::sed_script_issues;
use super::*;

fn hits(script: &str, coreutils: bool) -> Vec<String> {
    let src = SourceFile::new("scripts/x.sh", script.as_bytes().to_vec(), Some(0o100755));
    let s = Script::parse(&src);
    let u = Userland { coreutils, gnu: HashSet::new() };
    script_hits(&s, &src, &u).into_iter().map(|h| format!("{}:{} {}", h.span.line, h.span.col, h.message)).collect()
}

#[test]
fn what_busybox_rejects_is_flagged_at_its_column() {
    let f = hits("sed -nz 's/a/b/' f\n", true);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].starts_with("1:7 `sed -z`"), "{f:?}");
    let f = hits("x=$(grep -P '\\d+' f | xargs -d '\\n' rm)\n", true);
    assert!(f[0].starts_with("1:10 `grep -P`") && f[1].starts_with("1:29 `xargs -d`"), "{f:?}");
    let f = hits("find \"$d\" -maxdepth 1 -name '*.sql' -printf '%f\\n'\n", true);
    assert!(f.len() == 1 && f[0].starts_with("1:37 `find -printf`"), "{f:?}");
    let f = hits("awk '{ n = asort(a); print PROCINFO[\"pid\"] }' f\n", true);
    assert!(f.len() == 2 && f[0].starts_with("1:12 `asort()`") && f[1].starts_with("1:28 `PROCINFO`"), "{f:?}");
    let f = hits("wget --no-proxy -qO- http://x/\nwget --user=u http://x/\n", true);
    assert!(f.len() == 2 && f[0].starts_with("1:6 `wget --no-proxy`") && f[1].contains("--user-agent"), "{f:?}");
    let f = hits("sed -e '0,/x/d' -e 's/a/b/M;2Q' f\n", true);
    assert_eq!(f.len(), 3, "{f:?}");
    assert!(f[0].starts_with("1:9 the address `0,/re/`") && f[1].starts_with("1:27 the `s` flag `M`") && f[2].starts_with("1:30 the sed command `Q`"), "{f:?}");
    let f = hits("find . -size +1M -type f,d -exec sed -z p {} +\n", true);
    assert_eq!(f.len(), 3, "{f:?}");
}

#[test]
fn what_busybox_and_musl_accept_is_not_flagged() {
    for ok in [
        "sed -e 's/[[:space:]]\\+/ /g' -e 's/a\\?b\\|c/x/' f\n",
        "sed -E 's/a+/b/' f; sed -r -n -i.bak '/x/p' f; sed --in-place=.bak -e 's/a/b/' f\n",
        "sed -i -e '1,/^$/d' -e '$!N;s/\\n/ /;2,+3d;y/abc/xyz/;/a/,/b/{s/x/y/g;p}' f\n",
        "grep -Eiq '^(BEGIN|COMMIT)' f; grep -v '^[[:space:]]*$' f; grep --color=never -rn x .; grep -e -P f\n",
        "find . -maxdepth 1 -type f -name '*.sql' -perm /u+x -newer ref -size +10k -print0 | xargs -0 -r -n1 -P2 echo\n",
        "find . -name x -delete; find . -exec sed -n p {} \\;\n",
        "awk -F: -v x=1 '{ print gensub(/a/, \"b\", \"g\"), strftime(\"%Y\"), and(1, 3); if (match($0, /x/)) print RSTART }' f\n",
        "awk '{ print \"asort(x) PROCINFO\" }' f; awk '/asort\\(/ { print }' f\n",
        "wget -Y off -qO- -T 3 --spider --header 'X: y' --post-data=a http://127.0.0.1/\n",
        "sed \"$script\" f; grep $flags x f; find . $expr\n",
        "readlink -e x; date -d yesterday; sort -h f\n",
        "echo 'sed -z' \"grep -P\"; printf '%s\\n' -printf\n",
        "busybox --list; xargs --no-run-if-empty echo\n",
    ] {
        assert_eq!(hits(ok, true), Vec::<String>::new(), "{ok}");
    }
}

#[test]
fn coreutils_options_only_without_coreutils() {
    let f = hits("readlink -e x\ndate -d '1 hour ago' +%s\nsort --version-sort f\nstat -c '%W' f\ndate -d @0\nsort -h -V -t: -k2 f\ncut -d: -f1 -s f\n", false);
    assert_eq!(f.len(), 4, "{f:?}");
    assert!(f[0].starts_with("1:10 `readlink -e`"), "{f:?}");
    assert!(f[1].starts_with("2:9 `date -d '1 hour ago'`"), "{f:?}");
    // `busybox date` is busybox whatever the Dockerfile installs.
    assert_eq!(hits("busybox date -d yesterday\n", true).len(), 1);
}

#[test]
fn gnu_packages_from_the_dockerfile_turn_checks_off() {
    let d = Dockerfile::parse(&SourceFile::new("Dockerfile", b"FROM directus/directus:11.17.4\nRUN apk add --no-cache bash coreutils grep=3.11-r0 findutils\n".to_vec(), None));
    let u = Userland::of(Some(&d));
    assert!(u.coreutils && u.gnu.contains("grep") && u.gnu.contains("find") && !u.gnu.contains("sed"));
    assert!(!Userland::of(None).coreutils);
}

#[test]
fn random_input_never_panics() {
    use crate::model::test_soup::soup;
    let alphabet = ["sed ", "grep ", "awk ", "find ", "xargs ", "wget ", "-", "--", "z", "e", "'", "\"", "s/a/b/", "/", ";", "\\", "{", "}", "0,", "~", "(", ")", "$(", "`", " ", "\n", "é", "-printf", "-exec", "asort(", "match(", ","];
    for seed in 0..500 {
        let _ = hits(&soup(seed, 120, &alphabet), false);
    }
    for s in ["s", "s/", "s/a", "s/a/b", "y/", "0,/", "\\", "/a", "1~", "a\\", "e", "{{{{"] {
        let _ = sed_script_issues(s);
        let _ = awk_issues(s);
    }
}
