"""airunway-operator: one declarative API to serve LLMs on Kubernetes across inference runtimes."""
