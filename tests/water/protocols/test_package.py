"""The protocols package stays pure and exports exactly its public surface."""

import subprocess
import sys

import changji.water.protocols as protocols

EXPECTED = {
    "CANONICAL_FIELDS", "SL651", "SZY206", "ChecksumError", "DecodeError", "EncodeError", "Framer",
    "FramingError", "ProtocolError", "RawFrame", "Reading", "Rejected", "describe_frame", "detect_protocol",
}


def test_exported_members_are_exactly_the_public_surface():
    assert set(protocols.__all__) == EXPECTED
    for name in protocols.__all__:
        assert hasattr(protocols, name)


def test_importing_every_codec_module_does_not_import_django():
    code = (
        "import sys, pkgutil, importlib, changji.water.protocols as p\n"
        "for m in pkgutil.iter_modules(p.__path__): importlib.import_module(f'changji.water.protocols.{m.name}')\n"
        "print(sorted(n for n in sys.modules if n == 'django' or n.startswith('django.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
