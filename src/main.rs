fn main() {
    std::process::exit(sglang_bot::run());
}
