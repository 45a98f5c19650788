#ifndef CPCSCLITE_SHIM_H
#define CPCSCLITE_SHIM_H
// pkg-config libpcsclite gives -I/usr/include/PCSC; winscard.h includes pcsclite.h.
#include <winscard.h>
#include <reader.h>

static inline const SCARD_IO_REQUEST *CPCSCLite_pciT0(void) { return SCARD_PCI_T0; }
static inline const SCARD_IO_REQUEST *CPCSCLite_pciT1(void) { return SCARD_PCI_T1; }
static inline const SCARD_IO_REQUEST *CPCSCLite_pciRaw(void) { return SCARD_PCI_RAW; }
/// MAX_BUFFER_SIZE_EXTENDED is an expression macro and does not import.
static const DWORD CPCSCLite_maxBufferSizeExtended = MAX_BUFFER_SIZE_EXTENDED;
#endif
