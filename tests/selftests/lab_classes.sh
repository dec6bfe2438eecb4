#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The traffic lab's quick preset, plain: five classes of real programs,
# each with labelled flows that flowpic dataset reads and with its mark
# in the capture (tests/lab/check.py), and nothing left behind.
. "$(dirname "$0")/lab_check.sh"
lab_check lab-plain
