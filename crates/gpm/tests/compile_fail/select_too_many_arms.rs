// `select!` takes at most 32 operation arms; the error names the way out.
fn main() {
    let r = gpm::chan::never::<()>();
    gpm::select! {
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
        recv(r) -> _ => {}
    }
}
