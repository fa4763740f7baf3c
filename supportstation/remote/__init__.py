"""Remote execution: targets, credential references, SSH and WinRM transports, host keys, streaming runs, fan-out."""

import importlib
import importlib.util
import sys
import types


class _LoadedOnFirstUse(types.ModuleType):
    """Stands in sys.modules for a module until one of its names is read, then loads it and hands the name over.

    paramiko imports Invoke as it is imported, only to run an ssh_config `Match exec`, which SupportStation never has
    it run (see ssh_config): Invoke and its vendored YAML cost ~0.1 s of processor time in every command that reaches
    a host. (The stdlib's LazyLoader does not help here: an `import` statement reads the module's __spec__, which
    makes LazyLoader load it.)"""

    def __getattr__(self, name: str) -> object:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _defer(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return  # not installed: the importer copes
    stand_in = _LoadedOnFirstUse(name)
    stand_in.__spec__ = spec
    sys.modules[name] = stand_in


_defer("invoke")
