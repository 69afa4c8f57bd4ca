/* The io.passd.Manager interface file, embedded at build time (see embed-idl.py). */
#pragma once

extern const char pass_idl_manager[];
