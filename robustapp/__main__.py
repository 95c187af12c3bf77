from robustapp.cli import main

main()
