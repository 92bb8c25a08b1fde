from airunway_backend.cli import main

main()
