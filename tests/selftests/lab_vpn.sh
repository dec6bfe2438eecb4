#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The traffic lab's quick preset through OpenVPN: only tunnels leave the
# client (flows.py fails the run otherwise), each labelled with the class
# inside, and the class's mark still shows outside the tunnel.
. "$(dirname "$0")/lab_check.sh"
lab_check lab-vpn
