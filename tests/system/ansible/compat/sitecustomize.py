"""Compatibility aliases between Debian 12's ansible (azure.azcollection
1.16.0) and Debian 12's python3-azure (20230112), put on PYTHONPATH only
for the ansible run. No installed file is changed: after two Debian azure
modules are imported, names the collection expects are added to them.

1. azure_rm_common imports RecoveryServicesBackupClient and .models from
   azure.mgmt.recoveryservicesbackup; azure-mgmt-recoveryservicesbackup 5.x
   (Debian's) moved them to .activestamp (ansible-collections/azure#1260).
2. get_mgmt_svc_client reads importlib.import_module(client.__module__).models;
   azure-mgmt-trafficmanager 1.1.0b1 (Debian's) imports its models there as
   _models only (the collection pins 1.0.0b1)."""

import importlib.abc
import importlib.util
import sys

# Debian's own sitecustomize (this file shadows it).
try:
    import apport_python_hook
except ImportError:
    pass
else:
    apport_python_hook.install()


def _recoveryservicesbackup(mod):
    if not hasattr(mod, "RecoveryServicesBackupClient"):
        from azure.mgmt.recoveryservicesbackup import activestamp
        from azure.mgmt.recoveryservicesbackup.activestamp import models

        mod.RecoveryServicesBackupClient = activestamp.RecoveryServicesBackupClient
        mod.models = models
        sys.modules.setdefault("azure.mgmt.recoveryservicesbackup.models", models)


def _trafficmanager_client(mod):
    if not hasattr(mod, "models"):
        from azure.mgmt.trafficmanager import models

        mod.models = models


FIXES = {
    "azure.mgmt.recoveryservicesbackup": _recoveryservicesbackup,
    "azure.mgmt.trafficmanager._traffic_manager_management_client": _trafficmanager_client,
}


class _Loader(importlib.abc.Loader):
    def __init__(self, inner, fix):
        self.inner, self.fix = inner, fix

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        self.inner.exec_module(module)
        self.fix(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        fix = FIXES.get(name)
        if fix is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Loader(spec.loader, fix)
                return spec
        return None


sys.meta_path.insert(0, _Finder())
