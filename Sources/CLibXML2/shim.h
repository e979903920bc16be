// libxml2 for device profiles: parsing with line numbers and XSD validation.
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>

// xmlFree is a global function pointer, which Swift 6 rejects as shared mutable state.
static inline void cxml_free(void *p) { xmlFree(p); }
