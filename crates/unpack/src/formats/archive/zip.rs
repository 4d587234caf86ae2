//! stub
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};
pub struct Zip;
impl Format for Zip {
    fn name(&self) -> &'static str {
        "zip"
    }
    fn kind(&self) -> Kind {
        Kind::Archive
    }
    fn magics(&self) -> &'static [Magic] {
        &[]
    }
    fn identify(&self, _data: &[u8]) -> Option<Identified> {
        None
    }
    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}
