// OpenMPI's handles (MPI_COMM_WORLD, MPI_FLOAT, …) are macros that cast the
// addresses of incompletely typed globals, which Swift cannot import; these
// static inline accessors expose them as functions.
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cmpi_int(void) { return MPI_INT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op cmpi_op_max(void) { return MPI_MAX; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int cmpi_tag_ub_key(void) { return MPI_TAG_UB; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
