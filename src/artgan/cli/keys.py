"""``artgan keys``: create or show the C2PA signing identity (see artgan.provenance.keys)."""

from __future__ import annotations

import json

from ..errors import ConfigError
from ..provenance import keys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("keys", help="create or show the key that signs generated files")
    actions = p.add_subparsers(dest="keys_action", metavar="ACTION", required=True)

    init = actions.add_parser("init", help="create a local CA and signer certificate")
    init.add_argument(
        "--dir", help="keys folder (default: $ARTGAN_HOME/keys or ~/.config/artgan/keys)"
    )
    init.add_argument("--force", action="store_true", help="replace an existing identity")
    init.add_argument(
        "--cert",
        metavar="PEM",
        help="bring your own: a certificate chain (signer first) to install instead",
    )
    init.add_argument("--key", metavar="PEM", help="the private key of --cert (unencrypted PEM)")
    init.add_argument(
        "--name",
        default=keys.DEFAULT_SIGNER_NAME,
        help="signer name written into the certificate (shown by verifiers)",
    )
    init.set_defaults(func=run_init)

    show = actions.add_parser(
        "show", help="print the signer certificate's subject, fingerprint and expiry"
    )
    show.add_argument("--dir", help="keys folder")
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(func=run_show)


def _print(info: dict) -> None:
    print(f"subject      {info['subject']}")
    print(f"issuer       {info['issuer']}")
    print(f"algorithm    {info['algorithm']}")
    print(f"fingerprint  SHA-256 {info['sha256_fingerprint']}")
    print(f"valid        {info['not_before']} to {info['not_after']}")
    print(f"chain        {info['certificate_chain']}")
    print(f"key          {info['private_key']}")
    if info["ca"]:
        print(f"ca           {info['ca']}  (give this to people who should trust your files)")


def run_init(args) -> int:
    if bool(args.cert) != bool(args.key):
        raise ConfigError("give both --cert and --key to install your own certificate")
    if args.cert:
        identity = keys.install_signing_identity(args.cert, args.key, args.dir, force=args.force)
        print(f"installed your certificate and key in {identity.paths.private_key.parent}")
    else:
        identity = keys.create_signing_identity(args.dir, common_name=args.name, force=args.force)
        print(f"created a signing identity in {identity.paths.private_key.parent}")
    _print(keys.describe(identity))
    return 0


def run_show(args) -> int:
    identity = keys.find_signing_identity(args.dir)
    if identity is None:
        raise ConfigError(
            f"no signing identity in {keys.keys_dir(args.dir)}; create one with `artgan keys init`"
        )
    info = keys.describe(identity)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print(info)
    return 0
