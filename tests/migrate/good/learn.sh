#!/bin/sh
# learn-address script of good/server-paths.conf: does nothing
exit 0
