"""Item 12, the static half: nothing outside tests turns TLS verification off.

The only place that may is the explicit opt-in of a context (``insecure_skip_tls_verify``,
shown by a red banner), and it must stay behind that switch.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {"tests", ".venv", "build", "dist", ".git", "node_modules"}
UNVERIFIED = re.compile(
    r"verify\s*=\s*(False|0)\b"
    r"|CERT_NONE|CERT_OPTIONAL"
    r"|check_hostname\s*=\s*(False|0)\b"
    r"|_create_unverified_context|ssl\._create_default_https_context"
    r"|disable_warnings|InsecureRequestWarning"
    r"|\bverify_ssl\s*=\s*False|\binsecure\s*=\s*True"
)
# (file, line) allowed, each guarded by the context's switch a line or two above.
OPT_IN = "if tls.insecure_skip_tls_verify:"
ALLOWED = {
    ("aioke_desktop/api/transport.py", "context.check_hostname = False"),
    ("aioke_desktop/api/transport.py", "context.verify_mode = ssl.CERT_NONE"),
}


def _sources() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIPPED or parts[0].endswith(".egg-info") or path.is_dir():
            continue
        if path.suffix in {".py", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".sh"}:
            found.append(path)
    return found


def test_no_code_outside_tests_turns_tls_verification_off() -> None:
    sources = _sources()
    assert any(p.name == "transport.py" for p in sources)  # the scan sees the product
    hits: set[tuple[str, str]] = set()
    for path in sources:
        lines = path.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines):
            if UNVERIFIED.search(line.split("#")[0]):
                where = (str(path.relative_to(ROOT)), line.strip())
                hits.add(where)
                if where in ALLOWED:  # still right under the context's switch
                    assert OPT_IN in "\n".join(lines[max(0, number - 2) : number]), where
    print(f"{len(sources)} files scanned; only the opt-in: {sorted(hits)}")
    assert hits == ALLOWED
