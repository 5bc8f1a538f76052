#!/bin/sh
# setup.sh - Gradescope runs this once, as root, in /autograder/source of
# its Ubuntu 22.04 image, when the autograder is built (make gradescope
# writes the zip that holds it).  It installs what grading needs and
# builds the lab's suite and the programs it runs beside the student's.
set -eu
cd "$(dirname "$0")"
sh scripts/install-deps grade
make -j"$(nproc)" grader
# Gradescope's container has no namespaces to hide files from the
# submission, which runs as a user of its own: the suite's sources, the
# rubric and any hidden tests become root's alone.  The runners are built.
chmod -R go-rwx tests
