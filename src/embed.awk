# embed.awk: a text file -> a C string constant (for the --demo zone).
BEGIN {
    print "/* Generated from examples/zones/example.com.zone by src/embed.awk. */"
    print "#include \"config.h\""
    print "#include \"src/daemon.h\""
    print "const char demo_zone_origin[] = \"" origin "\";"
    print "const char " name "[] ="
}
{
    gsub(/\\/, "\\\\")
    gsub(/"/, "\\\"")
    print "    \"" $0 "\\n\""
}
END { print "    \"\";" }
