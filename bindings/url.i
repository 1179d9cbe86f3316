/* url.i - URLs: kind names, sizes, and ipc.unlink(url). Parsing is the
 * channel layer's business; struct ipc_url is not exposed. */
%ignore ipc_url_parse;
%ignore ipc_url_format;
%ignore ipc_url;
%include "ipc/url.h"
