EXTRA_DIST += %reldir%/run %reldir%/README.md
