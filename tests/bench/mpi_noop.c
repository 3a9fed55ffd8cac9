/*
 * mpi_noop.c - an MPI program that moves nothing: MPI_Init, a barrier,
 * MPI_Finalize.  The fan-out benchmark times it on the same nodes as the
 * staging job, to show what of the job's time is MPI's own start-up.
 */
#include <mpi.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
