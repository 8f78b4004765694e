axum_logto::scopes! {
    pub Bad = "read docs";
}

fn main() {}
