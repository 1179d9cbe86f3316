/* sysvshm.i - System V shared memory: no descriptor, so the segment is
 * exported through _core.mapping (python/mapping.i), whose buffer exports
 * are counted and block release. */
%include "ipc/sysvshm.h"
%clear int32_t;
