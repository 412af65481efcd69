dist_man_MANS += %reldir%/gtmd.8 %reldir%/gtmd.conf.5 %reldir%/gtmctl.1
