#!/bin/sh
# Fails when a firmware image defines or references the heap, newlib's
# gmtime or the printf family (hidden allocations, ARCHITECTURE §1).
#   check_image.sh NM IMAGE
nm=$1
img=$2
bad=$("$nm" "$img" | awk '{print $NF}' | grep -E -x \
    '_?(malloc|calloc|realloc|free|_malloc_r|_calloc_r|_realloc_r|_free_r|_sbrk|_sbrk_r|gmtime|gmtime_r|_gmtime_r|printf|sprintf|snprintf|vsnprintf|fprintf|_printf_r|_svfprintf_r|_vfprintf_r|_dtoa_r|rand|srand|_rand_r)' || true)
if [ -n "$bad" ]; then
    echo "check_image: $img contains forbidden symbols:" $bad >&2
    exit 1
fi
exit 0
