#!/bin/sh
# Generate configure and Makefile.in from a fresh clone.
exec autoreconf -fi "$(dirname "$0")"
