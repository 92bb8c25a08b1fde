"""The shared storage pipeline (SPEC-core §5, SPEC-providers §3.3, decision D4): managed
PersistentVolumeClaims and the model-download Job every storage-mounting provider relies on.

Pure decisions only: given a ModelDeployment and the claims and Job the runtime read, these
modules say what to create and delete, which `StorageReady` / `ModelDownloaded` conditions to
write, and whether the pass may go on to render or must stop (phase, message, requeue). The
cluster I/O that carries the decisions out lives in `airunway_operator.reconcile.storage`.
"""
