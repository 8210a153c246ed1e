//! Sensitive file names: files flagged by name alone, whatever they contain.

/// The rules of this file, for listings.
pub(crate) const RULE_IDS: [&str; 7] = [
    "env-file",
    "ssh-private-key-file",
    "key-file",
    "credentials-file",
    "terraform-state",
    "kubeconfig",
    "docker-config",
];

/// The rule id for a sensitive file name, if `path` is one.
pub(crate) fn sensitive_path(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if name == ".env" || name == ".envrc" {
        return Some("env-file");
    }
    if let Some(rest) = name.strip_prefix(".env.") {
        const TEMPLATES: &[&str] = &[
            "example", "sample", "template", "dist", "defaults", "schema",
        ];
        let last = rest.rsplit('.').next().unwrap_or(rest);
        return (!TEMPLATES.contains(&last)).then_some("env-file");
    }
    if name.ends_with(".pub") {
        return None;
    }
    if matches!(
        name,
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" | "id_ecdsa_sk" | "id_ed25519_sk"
    ) {
        return Some("ssh-private-key-file");
    }
    const KEY_EXTS: &[&str] = &[
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".ppk",
        ".asc.key",
    ];
    if KEY_EXTS.iter().any(|e| name.ends_with(e)) {
        return Some("key-file");
    }
    match name {
        "credentials.json" => return Some("credentials-file"),
        "credentials" if lower.contains(".aws/") => return Some("credentials-file"),
        ".npmrc" | ".pypirc" | ".netrc" | "_netrc" | ".git-credentials" | ".htpasswd" => {
            return Some("credentials-file")
        }
        "terraform.tfstate" | "terraform.tfstate.backup" => return Some("terraform-state"),
        "kubeconfig" => return Some("kubeconfig"),
        _ => {}
    }
    if name.ends_with(".tfstate") || name.ends_with(".tfstate.backup") {
        return Some("terraform-state");
    }
    if lower.ends_with(".kube/config") || lower == ".kube/config" {
        return Some("kubeconfig");
    }
    if lower.ends_with(".docker/config.json") {
        return Some("docker-config");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flagged() {
        for p in [
            ".env",
            "app/.env",
            ".env.local",
            ".env.production",
            "deploy/.envrc",
            "id_rsa",
            "home/.ssh/id_ed25519",
            "certs/server.pem",
            "tls.key",
            "store.p12",
            "cert.pfx",
            "android/release.jks",
            "credentials.json",
            ".aws/credentials",
            ".npmrc",
            ".pypirc",
            ".netrc",
            ".git-credentials",
            "infra/terraform.tfstate",
            "infra/prod.tfstate",
            "kubeconfig",
            "home/.kube/config",
            "home/.docker/config.json",
        ] {
            assert!(sensitive_path(p).is_some(), "{p}");
        }
    }

    #[test]
    fn not_flagged() {
        for p in [
            ".env.example",
            ".env.sample",
            ".env.template",
            "app/.env.local.example",
            "id_rsa.pub",
            "README.md",
            "src/env.rs",
            "environment.ts",
            "keys.rs",
            "docs/credentials.md",
            "config.json",
            "keyboard.key.rs",
            "terraform.tf",
            "kube/config.yaml",
        ] {
            assert!(sensitive_path(p).is_none(), "{p}");
        }
    }
}
