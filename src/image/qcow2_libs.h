/* zlib and libzstd, loaded when the first compressed qcow2 cluster is
 * read (dl.h).  Z and ZS are their tables once qcow2_codec has loaded
 * them.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DA_QCOW2_LIBS_H
#define DA_QCOW2_LIBS_H

#include <zlib.h>
#include <zstd.h>

#include "../dl.h"

#define ZLIB_FUNCS(X) X(inflateInit2_) X(inflate) X(inflateEnd)
DA_DL_DECLARE(zlib, ZLIB_FUNCS)
#define ZSTD_FUNCS(X) X(ZSTD_createDCtx) X(ZSTD_freeDCtx) X(ZSTD_DCtx_reset) \
	X(ZSTD_decompressStream) X(ZSTD_isError)
DA_DL_DECLARE(zstd, ZSTD_FUNCS)

#define Z (da_dl_zlib(NULL))
#define ZS (da_dl_zstd(NULL))
/* zlib.h's inflateInit2 is a macro naming inflateInit2_ */
#define z_inflate_init(s, bits) \
	Z->inflateInit2_((s), (bits), ZLIB_VERSION, (int)sizeof(z_stream))

/* NULL if the codec of compression type t (0 zlib, 1 zstd) is loaded,
 * else the one line saying what is missing. */
const char *qcow2_codec(int t);

#endif
