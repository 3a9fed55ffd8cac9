! stage.f90 - a Fortran MPI program that stages its own inputs with the
! mpift module right after MPI_Init, reads one from its node's copy, and
! closes mpift before MPI_Finalize.
!
!     mpirun -n 4 ./stage_f90 CONFIG [KEY=VALUE ...]
!
! With the sample configuration (conf/stage.cfg) every node gets inputs/
! and ref/ under paths.dest; KEY=VALUE pairs override the configuration
! like mpift-stage's --set (paths.dest=/scratch/%r).
!
! Build:  mpifort -I<includedir>/mpift stage.f90 -lmpift_fortran -lmpift -o stage_f90
! Exit status: mpift's (0 staged and verified, 1 a file failed, 2 a usage
! or configuration error, 3 the environment).
program stage
    use mpi
    use mpift
    implicit none
    integer :: ierr, rc, rank, nargs, i, bytes
    character(len=4096) :: config
    character(len=1024), allocatable :: sets(:)
    type(mpift_ctx) :: ctx
    type(mpift_result_t) :: res
    logical :: there

    call MPI_Init(ierr)
    call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
    nargs = command_argument_count()
    if (nargs < 1) then
        if (rank == 0) write (0, '(a)') 'usage: mpirun -n N stage_f90 CONFIG [KEY=VALUE ...]'
        call MPI_Finalize(ierr)
        stop 2
    end if
    call get_command_argument(1, config)
    allocate (sets(nargs - 1))
    do i = 2, nargs
        call get_command_argument(i, sets(i - 1))
    end do

    call mpift_open(MPI_COMM_WORLD, config, ctx, rc, sets=sets, quiet=.true., keep_result=.true.)
    if (rc == MPIFT_OK) call mpift_stage_in(ctx, rc)
    if (rc == MPIFT_ERR_MPI .or. rc == MPIFT_ERR_PROTO .or. rc == MPIFT_ERR_NOMEM) then
        ! This rank can no longer agree with the others: end the job.
        write (0, '(a,i0,2a)') 'rank ', rank, ': mpift: ', mpift_strerror(rc)
        call MPI_Abort(MPI_COMM_WORLD, mpift_exit_status(rc), ierr)
    end if
    if (rc /= MPIFT_OK) then
        if (rank == 0) write (0, '(a,i0,5a)') 'stage_f90: mpift status ', rc, ' (', mpift_strerror(rc), ', ', &
            mpift_status_name(rc), ')'
    else
        ! What the run did, the same figures on every rank.
        call mpift_result(ctx, res, ierr)
        if (ierr == MPIFT_OK) write (*, '(a,i0,a,i0,a,i0,a)') 'rank ', rank, ': ', res%files, ' files, ', &
            res%copies_written + res%unchanged, ' copies in place'
        ! The staged copy is this node's, under the dest root.
        inquire (file=mpift_dest_root(ctx)//'/inputs/mesh.dat', exist=there, size=bytes)
        write (*, '(a,i0,3a,i0,a)') 'rank ', rank, ': staged into ', mpift_dest_root(ctx), &
            ', inputs/mesh.dat has ', bytes, ' bytes'
        if (.not. there) rc = MPIFT_ERR_NOENT
    end if
    call mpift_close(ctx, ierr)
    call MPI_Finalize(ierr)
    if (rc /= MPIFT_OK) call exit(mpift_exit_status(rc))
end program stage
