! nul.f90 - mpift_open from Fortran with a set that holds a NUL byte on
! rank 1 only ("paths.dest=DEST<NUL>/elsewhere"): C would read it cut
! short, a harmless per-rank setting, and stage.  It must be refused on
! every rank alike (each prints its status), and nothing staged.  With
! WHERE "config", the NUL is in rank 1's configuration path instead
! ("CONFIG<NUL>x"): refused alike, no file loaded.
!
!     mpirun -n 3 ./nul_f90 CONFIG DEST [config]
program nul
    use mpi
    use mpift
    use, intrinsic :: iso_c_binding, only: c_null_char
    implicit none
    integer :: ierr, rc, rank
    character(len=4096) :: config, dest, where
    character(len=4200) :: sets(1)
    type(mpift_ctx) :: ctx

    call MPI_Init(ierr)
    call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
    call get_command_argument(1, config)
    call get_command_argument(2, dest)
    call get_command_argument(3, where)
    sets(1) = 'paths.dest=' // trim(dest)
    if (rank == 1 .and. where /= 'config') sets(1) = trim(sets(1)) // c_null_char // '/elsewhere'
    if (rank == 1 .and. where == 'config') config = trim(config) // c_null_char // 'x'
    call mpift_open(MPI_COMM_WORLD, trim(config), ctx, rc, sets)
    if (rc == MPIFT_OK) then
        call mpift_stage_in(ctx, rc)
        call mpift_close(ctx, ierr)
    end if
    write (*, '(a,i0,a,i0)') 'rank ', rank, ': status ', rc
    call MPI_Finalize(ierr)
end program nul
