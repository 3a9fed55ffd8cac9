! mpift.f90 - the Fortran module `mpift`: stage files from a Fortran MPI
! program (include/mpift/mpift.h has the full contract of each call).
!
!     use mpi
!     use mpift
!     type(mpift_ctx) :: ctx
!     call mpift_open(MPI_COMM_WORLD, 'stage.cfg', ctx, rc)   ! collective
!     call mpift_stage_in(ctx, rc)                            ! collective
!     call mpift_stage_out(ctx, rc)                           ! collective
!     call mpift_close(ctx, rc)                               ! collective
!     if (rc /= MPIFT_OK) print *, mpift_strerror(rc)
!
! Communicators are Fortran handles (an INTEGER from `use mpi` or mpif.h;
! comm%MPI_VAL with `use mpi_f08`): libmpift converts them (mpift_open_f).
! Every call returns a status in rc: MPIFT_OK (0) or a negative MPIFT_ERR_*;
! mpift_strerror(rc) is its text and mpift_exit_status(rc) the exit status
! mpift-stage would use.  MPIFT_ERR_MPI, _PROTO and _NOMEM from a
! collective call mean the job must end (MPI_Abort).
!
! Build: mpifort -I<includedir>/mpift prog.f90 -lmpift_fortran -lmpift
module mpift
    use, intrinsic :: iso_c_binding
    use, intrinsic :: iso_fortran_env, only: error_unit
    implicit none
    private

    public :: mpift_ctx, mpift_open, mpift_stage_in, mpift_stage_out, mpift_close
    public :: mpift_strerror, mpift_status_name, mpift_exit_status, mpift_dest_root, mpift_version
    public :: mpift_result_t, mpift_result

    ! The status codes of mpift.h (MPIFT_STATUS_MAP), written from it when
    ! the module is built (src/fortran/status_inc.c).
    include 'mpift_status.inc'

    ! Which call a result is of (enum mpift_mode).
    integer, parameter, public :: MPIFT_MODE_STAGE_IN = 1, MPIFT_MODE_STAGE_OUT = 2

    ! An open context; mpift_close releases it.
    type :: mpift_ctx
        type(c_ptr) :: ptr = c_null_ptr
    end type mpift_ctx

    include 'options_t.inc'

    ! struct mpift_result: the totals of the last stage-in or stage-out of
    ! a context opened with keep_result (mpift_result below; mpift.h).
    type, bind(c) :: mpift_result_t
        integer(c_int32_t) :: size = 0
        integer(c_int) :: status = 0, mode = 0
        integer(c_int64_t) :: files = 0, bytes = 0, copies_written = 0, unchanged = 0, failed = 0, &
            bytes_written = 0, wire_bytes = 0, folders_not_read = 0
        real(c_double) :: seconds = 0
    end type mpift_result_t

    interface
        integer(c_int) function c_open_f(comm, opts, ctx) bind(c, name='mpift_open_f')
            import :: c_int, c_ptr, options_t
            integer(c_int), value :: comm
            type(options_t), intent(in) :: opts
            type(c_ptr), intent(out) :: ctx
        end function c_open_f
        integer(c_int) function c_stage_in(ctx) bind(c, name='mpift_stage_in')
            import :: c_int, c_ptr
            type(c_ptr), value :: ctx
        end function c_stage_in
        integer(c_int) function c_stage_out(ctx) bind(c, name='mpift_stage_out')
            import :: c_int, c_ptr
            type(c_ptr), value :: ctx
        end function c_stage_out
        integer(c_int) function c_close(ctx) bind(c, name='mpift_close')
            import :: c_int, c_ptr
            type(c_ptr), intent(inout) :: ctx
        end function c_close
        type(c_ptr) function c_strerror(status) bind(c, name='mpift_strerror')
            import :: c_int, c_ptr
            integer(c_int), value :: status
        end function c_strerror
        type(c_ptr) function c_status_name(status) bind(c, name='mpift_status_name')
            import :: c_int, c_ptr
            integer(c_int), value :: status
        end function c_status_name
        integer(c_int) function c_result(ctx, res) bind(c, name='mpift_result')
            import :: c_int, c_ptr, mpift_result_t
            type(c_ptr), value :: ctx
            type(mpift_result_t), intent(inout) :: res
        end function c_result
        type(c_ptr) function c_dest_root(ctx) bind(c, name='mpift_dest_root')
            import :: c_ptr
            type(c_ptr), value :: ctx
        end function c_dest_root
        type(c_ptr) function c_version() bind(c, name='mpift_version')
            import :: c_ptr
        end function c_version
        integer(c_int) function c_exit_status(status) bind(c, name='mpift_fortran_exit_status')
            import :: c_int
            integer(c_int), value :: status
        end function c_exit_status
        integer(c_size_t) function c_strlen(s) bind(c, name='strlen')
            import :: c_size_t, c_ptr
            type(c_ptr), value :: s
        end function c_strlen
    end interface

contains

    ! A C string (owned by the library) as a Fortran string.
    function from_c(p) result(s)
        type(c_ptr), intent(in) :: p
        character(len=:), allocatable :: s
        character(kind=c_char), pointer :: chars(:)
        integer :: i, n

        if (.not. c_associated(p)) then
            s = ''
            return
        end if
        n = int(c_strlen(p))
        call c_f_pointer(p, chars, [n])
        allocate (character(len=n) :: s)
        do i = 1, n
            s(i:i) = chars(i)
        end do
    end function from_c

    ! s, or, when it holds a NUL byte (C would read it cut short there and
    ! act on another file or setting), a text that no file or setting
    ! matches, so that mpift_open refuses it on every rank alike, saying
    ! why (a lone rank's refusal would leave the others waiting).
    ! Does s hold a NUL byte (C would read it cut short)?  Said on stderr.
    logical function has_nul(s, what) result(bad)
        character(len=*), intent(in) :: s, what

        bad = index(s, c_null_char) > 0
        if (bad) write (error_unit, '(a)') 'mpift_open: ' // what // ' given to mpift_open holds a NUL byte: refused'
    end function has_nul

    ! Append trim(s) and a NUL to buf; returns where it starts (1-based).
    integer function append_c(buf, used, s) result(at)
        character(kind=c_char), intent(inout) :: buf(:)
        integer, intent(inout) :: used
        character(len=*), intent(in) :: s
        integer :: i, n

        n = len_trim(s)
        at = used + 1
        do i = 1, n
            buf(used + i) = s(i:i)
        end do
        buf(used + n + 1) = c_null_char
        used = used + n + 1
    end function append_c

    ! mpift_open: collective over comm (a Fortran communicator handle).
    ! config is the libconfig file; sets are "KEY=VALUE" overrides like
    ! mpift-stage's --set (trailing blanks ignored; blank entries skipped);
    ! force re-sends unchanged files, quiet prints errors only, verbose more;
    ! keep_result keeps each run's result for mpift_result.
    subroutine mpift_open(comm, config, ctx, rc, sets, force, quiet, verbose, keep_result)
        integer, intent(in) :: comm
        character(len=*), intent(in) :: config
        type(mpift_ctx), intent(out) :: ctx
        integer, intent(out) :: rc
        character(len=*), intent(in), optional :: sets(:)
        logical, intent(in), optional :: force, quiet, verbose, keep_result
        type(options_t), target :: opts
        character(kind=c_char), allocatable, target :: buf(:)
        type(c_ptr), allocatable, target :: setp(:)
        integer :: used, i, n, at, total
        logical :: refused

        n = 0
        refused = has_nul(config, 'config')
        total = len_trim(config) + 1
        if (present(sets)) then
            do i = 1, size(sets)
                if (has_nul(sets(i), 'a set')) refused = .true.
                total = total + len_trim(sets(i)) + 1
            end do
            allocate (setp(max(size(sets), 1)))
        else
            allocate (setp(1))
        end if
        allocate (buf(total))
        used = 0
        at = append_c(buf, used, config)
        ! No path: refused (mpift_open_f), every rank alike, no file loaded.
        opts%config_path = c_loc(buf(at))
        if (refused) opts%config_path = c_null_ptr
        if (present(sets)) then
            do i = 1, size(sets)
                if (len_trim(sets(i)) == 0) cycle
                n = n + 1
                at = append_c(buf, used, sets(i))
                setp(n) = c_loc(buf(at))
            end do
        end if
        opts%size = int(c_sizeof(opts), c_int32_t)
        opts%sets = c_loc(setp(1))
        opts%nsets = int(n, c_size_t)
        if (present(force)) opts%force = merge(1, 0, force)
        if (present(quiet)) opts%quiet = merge(1, 0, quiet)
        if (present(verbose)) opts%verbose = merge(1, 0, verbose)
        if (present(keep_result)) opts%keep_result = merge(1, 0, keep_result)
        rc = int(c_open_f(int(comm, c_int), opts, ctx%ptr))
    end subroutine mpift_open

    ! Collective: the configuration's stage_in files onto every node.
    subroutine mpift_stage_in(ctx, rc)
        type(mpift_ctx), intent(in) :: ctx
        integer, intent(out) :: rc
        rc = int(c_stage_in(ctx%ptr))
    end subroutine mpift_stage_in

    ! Collective: the stage_out files onto rank 0, under paths.collect.
    subroutine mpift_stage_out(ctx, rc)
        type(mpift_ctx), intent(in) :: ctx
        integer, intent(out) :: rc
        rc = int(c_stage_out(ctx%ptr))
    end subroutine mpift_stage_out

    ! Collective: release the context (before MPI_Finalize).
    subroutine mpift_close(ctx, rc)
        type(mpift_ctx), intent(inout) :: ctx
        integer, intent(out) :: rc
        rc = int(c_close(ctx%ptr))
    end subroutine mpift_close

    ! The text of a status ("configuration error").
    function mpift_strerror(status) result(s)
        integer, intent(in) :: status
        character(len=:), allocatable :: s
        s = from_c(c_strerror(int(status, c_int)))
    end function mpift_strerror

    ! The name of a status ("MPIFT_ERR_CONFIG"; "" for one not in the list).
    function mpift_status_name(status) result(s)
        integer, intent(in) :: status
        character(len=:), allocatable :: s
        s = from_c(c_status_name(int(status, c_int)))
    end function mpift_status_name

    ! The totals of the last stage-in or stage-out (opened with
    ! keep_result): rc MPIFT_OK, or MPIFT_ERR_NOENT when none is kept.
    subroutine mpift_result(ctx, res, rc)
        type(mpift_ctx), intent(in) :: ctx
        type(mpift_result_t), intent(out) :: res
        integer, intent(out) :: rc
        res%size = int(c_sizeof(res), c_int32_t)
        rc = int(c_result(ctx%ptr, res))
    end subroutine mpift_result

    ! The exit status mpift-stage uses for a status (0, 1, 2 or 3).
    integer function mpift_exit_status(status)
        integer, intent(in) :: status
        mpift_exit_status = int(c_exit_status(int(status, c_int)))
    end function mpift_exit_status

    ! This rank's dest root (paths.dest expanded for it).
    function mpift_dest_root(ctx) result(s)
        type(mpift_ctx), intent(in) :: ctx
        character(len=:), allocatable :: s
        s = from_c(c_dest_root(ctx%ptr))
    end function mpift_dest_root

    ! The version of the libmpift this program runs with ("0.1.0").
    function mpift_version() result(s)
        character(len=:), allocatable :: s
        s = from_c(c_version())
    end function mpift_version

end module mpift
