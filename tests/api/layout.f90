! layout.f90 - what this Fortran compiler makes of the bind(C) types that
! mirror mpift.h's structs: options_t (src/fortran/options_t.inc, the
! same text the module includes) and the module's mpift_result_t, printed
! as tests/api/layout.c prints the C compiler's ("STRUCT FIELD OFFSET
! SIZE", "STRUCT sizeof SIZE"), for tests/integration/mirrors.sh.
program layout
    use, intrinsic :: iso_c_binding
    use mpift, only: mpift_result_t
    implicit none
    include 'options_t.inc'
    type(options_t), target :: o
    type(mpift_result_t), target :: r
    character(len=*), parameter :: ot = 'mpift_options', rt = 'mpift_result'

    call put(ot, 'size', c_loc(o), c_loc(o%size), c_sizeof(o%size))
    call put(ot, 'config_path', c_loc(o), c_loc(o%config_path), c_sizeof(o%config_path))
    call put(ot, 'sets', c_loc(o), c_loc(o%sets), c_sizeof(o%sets))
    call put(ot, 'nsets', c_loc(o), c_loc(o%nsets), c_sizeof(o%nsets))
    call put(ot, 'force', c_loc(o), c_loc(o%force), c_sizeof(o%force))
    call put(ot, 'dry_run', c_loc(o), c_loc(o%dry_run), c_sizeof(o%dry_run))
    call put(ot, 'verbose', c_loc(o), c_loc(o%verbose), c_sizeof(o%verbose))
    call put(ot, 'quiet', c_loc(o), c_loc(o%quiet), c_sizeof(o%quiet))
    call put(ot, 'progress', c_loc(o), c_loc(o%progress), c_sizeof(o%progress))
    call put(ot, 'report_path', c_loc(o), c_loc(o%report_path), c_sizeof(o%report_path))
    call put(ot, 'module_path', c_loc(o), c_loc(o%module_path), c_sizeof(o%module_path))
    call put(ot, 'config_text', c_loc(o), c_loc(o%config_text), c_sizeof(o%config_text))
    call put(ot, 'as_user', c_loc(o), c_loc(o%as_user), c_sizeof(o%as_user))
    call put(ot, 'as_uid', c_loc(o), c_loc(o%as_uid), c_sizeof(o%as_uid))
    call put(ot, 'as_gid', c_loc(o), c_loc(o%as_gid), c_sizeof(o%as_gid))
    call put(ot, 'progress_fd', c_loc(o), c_loc(o%progress_fd), c_sizeof(o%progress_fd))
    call put(ot, 'refused', c_loc(o), c_loc(o%refused), c_sizeof(o%refused))
    call put(ot, 'keep_result', c_loc(o), c_loc(o%keep_result), c_sizeof(o%keep_result))
    write (*, '(a, a, i0)') ot, ' sizeof ', c_sizeof(o)

    call put(rt, 'size', c_loc(r), c_loc(r%size), c_sizeof(r%size))
    call put(rt, 'status', c_loc(r), c_loc(r%status), c_sizeof(r%status))
    call put(rt, 'mode', c_loc(r), c_loc(r%mode), c_sizeof(r%mode))
    call put(rt, 'files', c_loc(r), c_loc(r%files), c_sizeof(r%files))
    call put(rt, 'bytes', c_loc(r), c_loc(r%bytes), c_sizeof(r%bytes))
    call put(rt, 'copies_written', c_loc(r), c_loc(r%copies_written), c_sizeof(r%copies_written))
    call put(rt, 'unchanged', c_loc(r), c_loc(r%unchanged), c_sizeof(r%unchanged))
    call put(rt, 'failed', c_loc(r), c_loc(r%failed), c_sizeof(r%failed))
    call put(rt, 'bytes_written', c_loc(r), c_loc(r%bytes_written), c_sizeof(r%bytes_written))
    call put(rt, 'wire_bytes', c_loc(r), c_loc(r%wire_bytes), c_sizeof(r%wire_bytes))
    call put(rt, 'folders_not_read', c_loc(r), c_loc(r%folders_not_read), c_sizeof(r%folders_not_read))
    call put(rt, 'seconds', c_loc(r), c_loc(r%seconds), c_sizeof(r%seconds))
    write (*, '(a, a, i0)') rt, ' sizeof ', c_sizeof(r)

contains

    subroutine put(s, f, base, at, n)
        character(len=*), intent(in) :: s, f
        type(c_ptr), intent(in) :: base, at
        integer(c_size_t), intent(in) :: n
        write (*, '(a, 1x, a, 1x, i0, 1x, i0)') s, f, transfer(at, 0_c_intptr_t) - transfer(base, 0_c_intptr_t), n
    end subroutine put

end program layout
