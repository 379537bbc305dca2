//! The `magnetar` command.

fn main() {
    println!("magnetar {}", magnetar_core::VERSION);
}
