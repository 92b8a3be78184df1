#ifndef VKSERVE_CSYSTEMD_SHIM_H
#define VKSERVE_CSYSTEMD_SHIM_H
// libsystemd's journal API. sd_journal_send is variadic (Swift cannot call it); sd_journal_sendv is not.
#include <systemd/sd-journal.h>
#endif
