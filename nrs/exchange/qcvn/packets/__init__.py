"""One module per packet type. Importing this package imports every module in it, and each
registers its type (nrs.exchange.qcvn.registry.register): adding a type is adding a module."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    importlib.import_module(f"{__name__}.{_module}")
