from sipas.cli.main import main

main()
