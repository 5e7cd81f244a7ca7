//! Interoperability with OpenSSH: signatures made by `ssh-keygen -Y sign -n boomi-promoter`
//! verify in `promoter verify`, and signatures made by `promoter sign` verify with
//! `ssh-keygen -Y verify` (ed25519, ecdsa P-256 and P-384; RSA verify only).

mod common;

use common::promoter;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Key {
    path: PathBuf,
    principal: String,
}

fn keygen(dir: &Path, name: &str, args: &[&str]) -> Key {
    let path = dir.join(name);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .args(args)
        .status()
        .expect("ssh-keygen is installed (openssh-client)");
    assert!(st.success());
    Key {
        path,
        principal: format!("{name}@example.com"),
    }
}

fn allowed_signers(dir: &Path, keys: &[&Key]) -> PathBuf {
    let mut text = String::new();
    for k in keys {
        let pubkey = std::fs::read_to_string(k.path.with_extension("pub")).unwrap();
        let pubkey: Vec<&str> = pubkey.split_whitespace().take(2).collect();
        text.push_str(&format!(
            "{} namespaces=\"boomi-promoter\" {}\n",
            k.principal,
            pubkey.join(" ")
        ));
    }
    let p = dir.join(format!("allowed_signers_{}", keys.len()));
    std::fs::write(&p, text).unwrap();
    p
}

fn ssh_sign(key: &Key, file: &Path, namespace: &str) {
    let st = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", namespace, "-f"])
        .arg(&key.path)
        .arg(file)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "ssh-keygen -Y sign");
}

fn ssh_verify(allowed: &Path, principal: &str, file: &Path) -> (bool, String) {
    let out = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "boomi-promoter", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-s"])
        .arg(format!("{}.sig", file.display()))
        .stdin(std::fs::File::open(file).unwrap())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn doc(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn ssh_keygen_signatures_verify_in_promoter() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (name, args) in [
        ("ed", &["-t", "ed25519"][..]),
        ("p256", &["-t", "ecdsa", "-b", "256"][..]),
        ("p384", &["-t", "ecdsa", "-b", "384"][..]),
        ("rsa", &["-t", "rsa", "-b", "3072"][..]),
    ] {
        let k = keygen(d, name, args);
        let f = doc(d, &format!("{name}.txt"), "some exact bytes\n");
        ssh_sign(&k, &f, "boomi-promoter");
        let allowed = allowed_signers(d, &[&k]);
        promoter()
            .arg("verify")
            .arg(&f)
            .arg("--allowed-signers")
            .arg(&allowed)
            .assert()
            .success()
            .stdout(predicate::str::contains(k.principal.as_str()));
    }
}

#[test]
fn promoter_signatures_verify_in_ssh_keygen() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (name, args) in [
        ("ed", &["-t", "ed25519"][..]),
        ("p256", &["-t", "ecdsa", "-b", "256"][..]),
        ("p384", &["-t", "ecdsa", "-b", "384"][..]),
    ] {
        let k = keygen(d, name, args);
        let f = doc(d, &format!("{name}.yaml"), "apiVersion: promoter/v1\n");
        promoter()
            .arg("sign")
            .arg(&f)
            .arg("--key")
            .arg(&k.path)
            .assert()
            .success();
        let allowed = allowed_signers(d, &[&k]);
        let (ok, out) = ssh_verify(&allowed, &k.principal, &f);
        assert!(ok, "{name}: {out}");
        assert!(out.contains("Good \"boomi-promoter\" signature"), "{out}");
    }
}

#[test]
fn rsa_keys_verify_but_do_not_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let k = keygen(tmp.path(), "rsa", &["-t", "rsa", "-b", "2048"]);
    let f = doc(tmp.path(), "f.txt", "x");
    promoter()
        .arg("sign")
        .arg(&f)
        .arg("--key")
        .arg(&k.path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("ed25519 or ecdsa"));
    assert!(!tmp.path().join("f.txt.sig").exists());
}

#[test]
fn each_failure_has_its_own_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let alice = keygen(d, "alice", &["-t", "ed25519"]);
    let bob = keygen(d, "bob", &["-t", "ed25519"]);
    let allowed_alice = allowed_signers(d, &[&alice]);
    let verify = |f: &Path, allowed: &Path| {
        let out = promoter()
            .arg("verify")
            .arg(f)
            .arg("--allowed-signers")
            .arg(allowed)
            .args(["-o", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };

    // A tampered file.
    let f = doc(d, "tampered.txt", "original\n");
    ssh_sign(&alice, &f, "boomi-promoter");
    std::fs::write(&f, "original!\n").unwrap();
    let v = verify(&f, &allowed_alice);
    assert_eq!(v["code"], "SIGNATURE_INVALID");
    assert!(v["message"].as_str().unwrap().contains("does not verify"));

    // The wrong namespace (git's).
    let f = doc(d, "git-ns.txt", "x\n");
    ssh_sign(&alice, &f, "git");
    let v = verify(&f, &allowed_alice);
    assert_eq!(v["code"], "SIGNATURE_INVALID");
    assert!(
        v["message"].as_str().unwrap().contains("namespace \"git\""),
        "{v}"
    );

    // An unknown key.
    let f = doc(d, "unknown.txt", "x\n");
    ssh_sign(&bob, &f, "boomi-promoter");
    let v = verify(&f, &allowed_alice);
    assert_eq!(v["code"], "UNKNOWN_SIGNER");

    // A claimed identity that is not the key's principal.
    let f = doc(
        d,
        "claims.yaml",
        "apiVersion: promoter/v1\nkind: Withdrawal\npromotion: orders-1\nrequestDigest: sha256:0000000000000000000000000000000000000000000000000000000000000000\nby: bob@example.com\n",
    );
    ssh_sign(&alice, &f, "boomi-promoter");
    let v = verify(&f, &allowed_alice);
    assert_eq!(v["code"], "IDENTITY_MISMATCH");

    // A garbage signature file.
    let f = doc(d, "garbage.txt", "x\n");
    std::fs::write(d.join("garbage.txt.sig"), "not a signature").unwrap();
    let v = verify(&f, &allowed_alice);
    assert_eq!(v["code"], "SIGNATURE_INVALID");
}
