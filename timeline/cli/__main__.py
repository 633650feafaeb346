from timeline.cli import main

main(prog_name="timeline")
