"""qrkt: hybrid quantum-classical vision transformers, portable across quantum backends."""

from qrkt.errors import QrktError

__version__ = "0.1.0"
__all__ = ["QrktError", "__version__"]
